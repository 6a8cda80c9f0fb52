# tests/lib.sh: shared setup for the integration tests. Source it.
# Each test gets its own temp dir, SoftHSM token and CA home.
set -eu

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${AIRCA_BUILD:=build}"
AIRCA_BIN="$TOP/$AIRCA_BUILD/airca"
export AIRCA_PROFILES="$TOP/hsm-profiles"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=86}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$TOP/tests/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=87}"

fail() { echo "FAIL: $*" >&2; exit 1; }

# The system python (a Debian package of the install step), not a pyenv
# shim found first on PATH, which costs 0.3 s a call.
if [ -x /usr/bin/python3 ]; then python3() { /usr/bin/python3 "$@"; }; fi
skip() { echo "SKIP: $*"; exit 0; }

# The token the test runs on: AIRCA_TEST_TOKEN=softhsm2 (default),
# opencryptoki or tpm2 (tests/tokens.sh; docs/hsm-setup.md).
: "${AIRCA_TEST_TOKEN:=softhsm2}"
case $AIRCA_TEST_TOKEN in
softhsm2|opencryptoki|tpm2) ;;
*) fail "AIRCA_TEST_TOKEN=$AIRCA_TEST_TOKEN: use softhsm2, opencryptoki or tpm2" ;;
esac
# shellcheck source=tokens.sh
. "$TOP/tests/tokens.sh"
token_reexec "$@"

T=$(mktemp -d "${TMPDIR:-/tmp}/airca-test.XXXXXX")
cleanup() { token_stop; rm -rf "$T"; }
trap cleanup EXIT

export AIRCA_HOME="$T/home"
export AIRCA_HSM=softhsm2
export TEST_PIN=1234-test-pin
TEST_KEY=""			# init's --key: what the token can generate
P11_MODULE=/usr/lib/softhsm/libsofthsm2.so
token_start

# airca with the test PIN from the environment
airca() { "$AIRCA_BIN" --pin-env TEST_PIN "$@"; }
airca_nopin() { "$AIRCA_BIN" "$@"; }

# make_token [LABEL]: a fresh token labelled LABEL (default airca) with
# TEST_PIN on this test's token backend
make_token() { token_make "${1:-airca}"; }

# expect_fail CODE PATTERN cmd...: cmd must exit CODE and say PATTERN on stderr
expect_fail() {
	local code=$1 pat=$2 rc=0
	shift 2
	"$@" >"$T/.stdout" 2>"$T/.stderr" || rc=$?
	[ "$rc" -eq "$code" ] || { cat "$T/.stderr" >&2; fail "$* exited $rc, want $code"; }
	grep -qE -- "$pat" "$T/.stderr" || { cat "$T/.stderr" >&2; fail "$*: stderr lacks /$pat/"; }
}

# flip_byte FILE OFFSET: invert every bit of the byte at OFFSET (a byte
# set to a fixed value is left unchanged when it already had that value)
flip_byte() {
	python3 -c 'import sys
p, o = sys.argv[1], int(sys.argv[2])
b = bytearray(open(p, "rb").read())
b[o] ^= 0xff
open(p, "wb").write(b)' "$1" "$2"
}

# openssl helpers
cert_text() { openssl x509 -in "$1" -noout -text; }

# make_csr NAME SUBJ [SAN] [KEYALG]: $T/NAME.csr (and .key) made by openssl.
# KEYALG: ec-p256 (default), ec-p384, rsa-2048, rsa-1024, ec-k256, ed25519
make_csr() {
	local name=$1 subj=$2 san=${3:-} alg=${4:-ec-p256} kopt
	case $alg in
	ec-p256) kopt="-newkey ec -pkeyopt ec_paramgen_curve:P-256" ;;
	ec-p384) kopt="-newkey ec -pkeyopt ec_paramgen_curve:P-384" ;;
	ec-k256) kopt="-newkey ec -pkeyopt ec_paramgen_curve:secp256k1" ;;
	rsa-*)   kopt="-newkey rsa:${alg#rsa-}" ;;
	ed25519) kopt="-newkey ed25519" ;;
	esac
	# shellcheck disable=SC2086
	openssl req -new $kopt -nodes -keyout "$T/$name.key" -subj "$subj" \
		${san:+-addext "subjectAltName=$san"} -out "$T/$name.csr" 2>/dev/null
}

# json_str FILE: FILE's text as a JSON string (newlines escaped)
json_str() { awk 'BEGIN{printf "\""} {gsub(/\\/,"\\\\"); gsub(/"/,"\\\""); printf "%s\\n", $0} END{printf "\""}' "$1"; }

# api_response OUT [tls=F] [ca=F] [est=F]: the factory API's CSR response JSON
api_response() {
	local out=$1 sep="" kv k f
	shift
	{
		printf '{'
		for kv in "$@"; do
			k=${kv%%=*} f=${kv#*=}
			case $k in tls) k=tls-csr ;; ca) k=ca-csr ;; est) k=est-tls-csr ;; esac
			printf '%s"%s": %s' "$sep" "$k" "$(json_str "$f")"
			sep=", "
		done
		printf ', "create_ca": "#!/bin/sh ..."}\n'
	} > "$out"
}

# json_get FILE KEY: the string value of a top-level key (PEM unescaped)
json_get() { sed -n "s/.*\"$2\": *\"\([^\"]*\)\".*/\1/p" "$1" | head -1 | sed 's/\\n/\n/g' | sed '${/^$/d}'; }

# no_twice [WHAT]: no serial issued twice in the home's journal, and no
# device CN twice (CNs compared without case, as airca compares them)
no_twice() {
	local j=$AIRCA_HOME/journal.jsonl
	grep '"event":"cert-issued"' "$j" | sed 's/.*"serial":"\([0-9a-f]*\)".*/\1/' | sort | uniq -d > "$T/dupserial"
	[ -s "$T/dupserial" ] && fail "${1:+$1: }a serial issued twice: $(head -3 "$T/dupserial")"
	grep '"event":"cert-issued"' "$j" | grep '"profile":"device"' | sed 's/.*"cn":"\([^"]*\)".*/\1/' |
		tr 'A-Z' 'a-z' | sort | uniq -d > "$T/dupcn"
	[ -s "$T/dupcn" ] && fail "${1:+$1: }a CN signed twice: $(head -3 "$T/dupcn")"
	return 0
}

# traced LOG SYSCALL ARGS...: airca ARGS (with the test PIN) under strace,
# every thread's SYSCALL calls written to LOG (with -y: each fd's path),
# to count where a fault would land; fails the test if airca fails.
# LeakSanitizer is off: it cannot run in a traced process.  The caller's
# environment (AIRCA_HOME, AIRCA_TEST_SCRATCH_PAGES) applies.
traced() {
	local log=$1 sc=$2
	shift 2
	( ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" strace -f -y -qq -o "$log" -e trace="$sc" \
		"$AIRCA_BIN" --pin-env TEST_PIN "$@" >/dev/null 2>&1 ) || fail "airca $* under strace failed"
}

# p11 ARGS: pkcs11-tool on the test token
p11() { pkcs11-tool --module "$P11_MODULE" --token-label airca "$@" 2>/dev/null; }

# init_ca [FACTORY]: a fresh token and an initialised home
init_ca() {
	make_token
	airca init --factory "${1:-acme}" ${TEST_KEY:+--key "$TEST_KEY"} >"$T/init.out" ||
		fail "init failed: $(cat "$T/init.out")"
}

# use_shim [MAX_SESSIONS]: from now on airca reaches the test token through
# tests/p11shim (fault and latency injection, tests/p11shim/README.md), by
# an HSM profile $T/shim.conf; the P11SHIM_* knobs are set per command.
use_shim() {
	sed -e "s|^module = .*|module = $TOP/$AIRCA_BUILD/tests/p11shim.so|" \
		-e "s|^max_sessions = .*|max_sessions = ${1:-0}|" \
		-e "/^batch_sessions = /d" \
		-e "s|^name = .*|name = SoftHSMv2 through p11shim|" \
		"$TOP/hsm-profiles/softhsm2.conf" > "$T/shim.conf"
	export AIRCA_HSM="$T/shim.conf"
	export P11SHIM_MODULE=/usr/lib/softhsm/libsofthsm2.so
}
