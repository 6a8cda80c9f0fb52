#!/usr/bin/env bash
# tests/bench/run.sh: every benchmark, figures side by side with their peers.
# Benchmarks never fail a build: this always exits 0.
TOP=$(cd "$(dirname "$0")/../.." && pwd)
for b in "$TOP"/tests/bench/*.sh; do
	[ "$(basename "$b")" = run.sh ] && continue
	echo "== $(basename "$b" .sh)"
	bash "$b" || echo "($(basename "$b") did not finish)"
	echo
done
exit 0
