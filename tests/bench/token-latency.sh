#!/usr/bin/env bash
# token-latency.sh: airca batch sign against a token that takes a fixed time
# per signature (tests/p11shim, P11SHIM_SIGN_DELAY_MS: DELAY_MS in all a
# signature, one at a time on a session, in parallel across sessions),
# beside what that token could do at most: on one session (1000/DELAY_MS a
# second, and what the token alone gives one thread on this machine now,
# which a loaded machine lowers), and on four sessions.
#   N=1000 N4=2000 DELAY_MS=10 tests/bench/token-latency.sh
# Prints "summary:" lines that tests/bench/run.sh repeats side by side.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
: "${AIRCA_BUILD:=build}"
: "${N:=1000}"
: "${N4:=2000}"
: "${DELAY_MS:=10}"
B="$TOP/$AIRCA_BUILD"
T=$(mktemp -d "${TMPDIR:-/tmp}/airca-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT
say() { echo "token-latency bench: $*"; }

PKGS="jansson libp11 libqrencode inih p11-kit-1 libgfshare"
mkdir -p "$B/bench"
if ! make -C "$TOP" --no-print-directory -s BUILD="$AIRCA_BUILD" "$AIRCA_BUILD/airca" \
	"$AIRCA_BUILD/libairca.a" "$AIRCA_BUILD/tests/p11shim.so" "$AIRCA_BUILD/tests/gen-csrs" >/dev/null ||
   ! ${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -I"$TOP/src" $(pkg-config --cflags $PKGS) \
	-o "$B/bench/raw-sign" "$TOP/tests/bench/raw-sign.c" "$B/libairca.a" \
	$(pkg-config --libs $PKGS) -lcrypto -lpthread; then
	say "cannot build airca, the shim and raw-sign; skipped"
	exit 0
fi
export SOFTHSM2_CONF="$T/softhsm2.conf" AIRCA_HOME="$T/home" TEST_PIN=1234-bench-pin
export AIRCA_PROFILES="$TOP/hsm-profiles" AIRCA_HSM=softhsm2
mkdir -p "$T/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' \
	"$T/tokens" > "$SOFTHSM2_CONF"
A() { "$B/airca" --pin-env TEST_PIN "$@"; }
softhsm2-util --init-token --free --label airca --so-pin 5678-so --pin "$TEST_PIN" >/dev/null &&
	A init --factory acme >/dev/null 2>&1 && A device-ca create --user-id u1 --label dca1 >/dev/null 2>&1 ||
	{ say "cannot set up a CA; skipped"; exit 0; }
sed -e "s|^module = .*|module = $B/tests/p11shim.so|" "$TOP/hsm-profiles/softhsm2.conf" > "$T/shim.conf"
export P11SHIM_MODULE=/usr/lib/softhsm/libsofthsm2.so P11SHIM_SIGN_DELAY_MS=$DELAY_MS

# the token alone: one thread signing digests back to back
alone=$(AIRCA_HSM="$T/shim.conf" "$B/bench/raw-sign" --token dca1 $((2000 / DELAY_MS)) 2>/dev/null |
	sed -n 's/^token //p')
: "${alone:=0}"

# run SESSIONS COUNT: airca batch sign on COUNT fresh requests; prints certs/s
run() {
	local t0 t1
	rm -rf "$T/in" "$T/out"
	mkdir -p "$T/in"
	"$B/tests/gen-csrs" "$T/in" "$2" acme
	t0=$(date +%s.%N)
	AIRCA_HSM="$T/shim.conf" A batch sign --ca dca1 --in "$T/in" --out "$T/out" \
		--sessions "$1" >/dev/null 2>"$T/err" || { say "airca exited $? ($(tail -1 "$T/err"))"; echo 0; return; }
	t1=$(date +%s.%N)
	awk -v n="$2" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", n / (b - a) }'
}
r1=$(run 1 "$N")
r4=$(run 4 "$N4")
awk -v n="$N" -v n4="$N4" -v d="$DELAY_MS" -v r1="$r1" -v r4="$r4" -v al="$alone" \
    -v load="$(cut -d' ' -f1-3 /proc/loadavg)" -v cores="$(nproc)" 'BEGIN {
	max = 1000 / d
	printf "token-latency bench: %d ms a signature (the token: %.0f/s a session); %d cores, load %s\n", d, max, cores, load
	printf "  %-36s %8.1f sig/s  %5.1f%% of %.0f/s\n", "the token alone, one thread", al, 100 * al / max, max
	printf "  %-36s %8.1f certs/s %5.1f%% of %.0f/s, %5.1f%% of the token alone\n", "airca, one session (" n ")", r1, 100 * r1 / max, max, (al > 0 ? 100 * r1 / al : 0)
	printf "  %-36s %8.1f certs/s %5.2fx one session, %5.1f%% of %.0f/s\n", "airca, four sessions (" n4 ")", r4, (r1 > 0 ? r4 / r1 : 0), 100 * r4 / (4 * max), 4 * max
	printf "summary: %d ms token, one session: %.1f certs/s = %.1f%% of %.0f/s (target 95%%; the token alone: %.1f/s)\n", d, r1, 100 * r1 / max, max, al
	printf "summary: %d ms token, four sessions: %.1f certs/s = %.2fx one session (target 3.5x)\n", d, r4, (r1 > 0 ? r4 / r1 : 0)
}'
exit 0
