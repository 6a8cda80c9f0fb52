#!/usr/bin/env bash
# tests/bench/run.sh: every benchmark, figures side by side with their peers,
# then their "summary:" lines together, with the machine and its load.
# BENCH_LONG=1 adds the long runs (batch.sh: 1,000,000 requests).
# Benchmarks never fail a build: this always exits 0.
TOP=$(cd "$(dirname "$0")/../.." && pwd)
S=$(mktemp "${TMPDIR:-/tmp}/airca-bench-summary.XXXXXX")
trap 'rm -f "$S"' EXIT
load0=$(cut -d' ' -f1-3 /proc/loadavg)
for b in "$TOP"/tests/bench/*.sh; do
	[ "$(basename "$b")" = run.sh ] && continue
	echo "== $(basename "$b" .sh)"
	bash "$b" | tee -a "$S" || echo "($(basename "$b") did not finish)"
	echo
done
echo "== side by side"
echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)"
echo "load average at the start: $load0; at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
sed -n 's/^summary: /  /p' "$S"
exit 0
