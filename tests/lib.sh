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

T=$(mktemp -d "${TMPDIR:-/tmp}/airca-test.XXXXXX")
trap 'rm -rf "$T"' EXIT

export SOFTHSM2_CONF="$T/softhsm2.conf"
mkdir -p "$T/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' \
	"$T/tokens" > "$SOFTHSM2_CONF"

export AIRCA_HOME="$T/home"
export AIRCA_HSM=softhsm2
export TEST_PIN=1234-test-pin

# airca with the test PIN from the environment
airca() { "$AIRCA_BIN" --pin-env TEST_PIN "$@"; }
airca_nopin() { "$AIRCA_BIN" "$@"; }

# make_token [LABEL]: a fresh token in this test's SoftHSM
make_token() {
	softhsm2-util --init-token --free --label "${1:-airca}" \
		--so-pin 5678-so-pin --pin "$TEST_PIN" >/dev/null
}

fail() { echo "FAIL: $*" >&2; exit 1; }

# expect_fail CODE PATTERN cmd...: cmd must exit CODE and say PATTERN on stderr
expect_fail() {
	local code=$1 pat=$2 rc=0
	shift 2
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq "$code" ] || { cat "$T/err" >&2; fail "$* exited $rc, want $code"; }
	grep -qE -- "$pat" "$T/err" || { cat "$T/err" >&2; fail "$*: stderr lacks /$pat/"; }
}

# openssl helpers
cert_text() { openssl x509 -in "$1" -noout -text; }
