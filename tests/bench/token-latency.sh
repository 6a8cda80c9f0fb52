#!/usr/bin/env bash
# token-latency.sh: airca batch sign against a token that takes a fixed time
# per signature (tests/p11shim, P11SHIM_SIGN_DELAY_MS), beside what that
# token could do at most: how much of a slow HSM's signing rate airca keeps.
#   N=1000 DELAY_MS=10 tests/bench/token-latency.sh
# One session only for now: parallel signing on several sessions (issue 14
# item 4) is not built yet, so there is no four-session figure.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
: "${AIRCA_BUILD:=build}"
: "${N:=1000}"
: "${DELAY_MS:=10}"
B="$TOP/$AIRCA_BUILD"
T=$(mktemp -d "${TMPDIR:-/tmp}/airca-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT
say() { echo "token-latency bench: $*"; }

if ! make -C "$TOP" --no-print-directory -s BUILD="$AIRCA_BUILD" "$AIRCA_BUILD/airca" \
	"$AIRCA_BUILD/tests/p11shim.so" "$AIRCA_BUILD/tests/gen-csrs" >/dev/null; then
	say "cannot build airca and the shim; skipped"
	exit 0
fi
export SOFTHSM2_CONF="$T/softhsm2.conf" AIRCA_HOME="$T/home" TEST_PIN=1234-bench-pin
export AIRCA_PROFILES="$TOP/hsm-profiles" AIRCA_HSM=softhsm2
mkdir -p "$T/tokens" "$T/in"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' \
	"$T/tokens" > "$SOFTHSM2_CONF"
A() { "$B/airca" --pin-env TEST_PIN "$@"; }
softhsm2-util --init-token --free --label airca --so-pin 5678-so --pin "$TEST_PIN" >/dev/null &&
	A init --factory acme >/dev/null 2>&1 && A device-ca create --user-id u1 --label dca1 >/dev/null 2>&1 ||
	{ say "cannot set up a CA; skipped"; exit 0; }
sed -e "s|^module = .*|module = $B/tests/p11shim.so|" "$TOP/hsm-profiles/softhsm2.conf" > "$T/shim.conf"
"$B/tests/gen-csrs" "$T/in" "$N" acme

t0=$(date +%s.%N)
AIRCA_HSM="$T/shim.conf" P11SHIM_MODULE=/usr/lib/softhsm/libsofthsm2.so \
	P11SHIM_SIGN_DELAY_MS=$DELAY_MS A batch sign --ca dca1 --in "$T/in" --out "$T/out" \
	>/dev/null 2>"$T/err" || { say "airca exited $? ($(tail -1 "$T/err"))"; exit 0; }
t1=$(date +%s.%N)
awk -v n="$N" -v a="$t0" -v b="$t1" -v d="$DELAY_MS" 'BEGIN {
	r = n / (b - a); max = 1000 / d
	printf "token-latency bench: N=%d, %d ms a signature (the token: at most %.0f/s on one session)\n", n, d, max
	printf "  %-28s %8.0f certs/s  %5.1f%% of the token\n", "airca, one session", r, 100 * r / max
	printf "  %-28s %8s\n", "airca, four sessions", "(not built: issue 14 item 4)"
}'
exit 0
