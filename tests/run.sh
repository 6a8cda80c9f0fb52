#!/usr/bin/env bash
# tests/run.sh: run unit, integration and tui tests; print "N passed, N failed".
set -u
TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"
: "${AIRCA_BUILD:=build}"
export AIRCA_BUILD
pass=0 failn=0 failed=()
run() {
	local name=$1; shift
	local log="$TOP/$AIRCA_BUILD/test-logs/${name//\//_}.log"
	mkdir -p "$(dirname "$log")"
	local t0=$SECONDS
	if "$@" >"$log" 2>&1; then
		pass=$((pass + 1)); echo "ok   $name ($((SECONDS - t0)) s)"
	else
		failn=$((failn + 1)); failed+=("$name"); echo "FAIL $name ($((SECONDS - t0)) s, log: $log)"
		tail -20 "$log" | sed 's/^/    /'
	fi
}
for t in "$AIRCA_BUILD"/tests/test-*; do
	[ -x "$t" ] && run "unit/$(basename "$t")" "$t"
done
for t in tests/integration/*.sh tests/tui/*.sh; do
	[ -f "$t" ] && run "$t" bash "$t"
done
echo
echo "$pass passed, $failn failed in $SECONDS s"
[ "$failn" -eq 0 ]
