#!/usr/bin/env bash
# fuzz-seeds.sh: every libFuzzer harness (CSR, API response, ceremony script,
# journal, ceremony report, device manifest) runs each input of its seed corpus once, so an
# input that once crashed a parser (kept in tests/fuzz/corpus/) fails make
# test if the bug comes back.  No fuzzing here: 'make fuzz' does that.
. "$(dirname "$0")/../lib.sh"

command -v clang >/dev/null || fail "clang missing (make deps installs it)"
FUZZ_SEEDS_ONLY=1 FUZZ_OUT="$TOP/$AIRCA_BUILD/fuzz-seeds" "$TOP/tests/fuzz/run.sh" >"$T/out" 2>&1 ||
	{ cat "$T/out"; fail "a seed input fails its harness"; }
cat "$T/out"
grep -q 'skipping' "$T/out" && fail "a core file did not compile for the harnesses"
n=$(grep -c '^fuzz: ok ' "$T/out")
[ "$n" -ge 6 ] || fail "want 6 harnesses, $n ran"
echo "fuzz-seeds ok: $n harnesses"
