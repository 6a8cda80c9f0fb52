#!/usr/bin/env bash
# tests/fuzz/run.sh: build every tests/fuzz/fuzz-*.c with libFuzzer + ASan + UBSan
# against the core sources and run each for FUZZ_SECONDS (default 30) seconds.
#
#   FUZZ_SECONDS=60 tests/fuzz/run.sh [NAME...]     (NAME: csr, ...)
#   FUZZ_SEEDS_ONLY=1 tests/fuzz/run.sh             (each seed once, no fuzzing:
#                                                    the regression run of make test)
#
# Seeds come from tests/fuzz/corpus/NAME/ and are never modified; new inputs
# go to build/fuzz/corpus/NAME/, crashes to build/fuzz/artifacts/.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP"
: "${FUZZ_SECONDS:=30}"
: "${CC_FUZZ:=clang}"
OUT=${FUZZ_OUT:-build/fuzz}
PKGS="libp11 jansson inih libqrencode p11-kit-1 libgfshare"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
CFLAGS="-std=c11 -D_GNU_SOURCE -DAIRCA_VERSION=\"fuzz\" -g -O1 -fno-omit-frame-pointer -Isrc $(pkg-config --cflags $PKGS)"
LIBS="$(pkg-config --libs $PKGS) -lcrypto -lpthread"

command -v "$CC_FUZZ" >/dev/null || { echo "fuzz: $CC_FUZZ not found (apt-get install clang libclang-rt-14-dev)"; exit 1; }
mkdir -p "$OUT/obj/src" "$OUT/artifacts"

# The core, compiled file by file: a file that does not compile yet is
# skipped (and said so) rather than stopping every harness.
objs=()
for src in src/*.c; do
	case $src in src/main.c|src/cmd.c|src/cmd-*.c) continue ;; esac
	obj=$OUT/obj/${src%.c}.o
	if $CC_FUZZ $CFLAGS $SAN -fsanitize=fuzzer-no-link -c "$src" -o "$obj" 2>"$obj.log"; then
		objs+=("$obj")
	else
		echo "fuzz: skipping $src: it does not compile (see $obj.log)"
	fi
done

# An archive, so a harness links only the objects it needs (the CLI's cmd.c
# and cmd-*.c are left out above: the core does not link them).
rm -f "$OUT/libcore.a"
ar rcs "$OUT/libcore.a" "${objs[@]}"

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	for h in tests/fuzz/fuzz-*.c; do
		[ -f "$h" ] || continue
		n=${h#tests/fuzz/fuzz-}; names+=("${n%.c}")
	done
fi

fail=0
for n in "${names[@]}"; do
	h=tests/fuzz/fuzz-$n.c bin=$OUT/fuzz-$n
	if ! $CC_FUZZ $CFLAGS $SAN -fsanitize=fuzzer -o "$bin" "$h" "$OUT/libcore.a" $LIBS; then
		echo "fuzz: FAIL $n: the harness does not build"
		fail=1
		continue
	fi
	mkdir -p "$OUT/corpus/$n" "tests/fuzz/corpus/$n"
	if [ -n "${FUZZ_SEEDS_ONLY:-}" ]; then
		echo "fuzz: $n, every seed once"
		set -- -runs=0 "tests/fuzz/corpus/$n"
	else
		echo "fuzz: $n for ${FUZZ_SECONDS}s"
		set -- -max_total_time="$FUZZ_SECONDS" "$OUT/corpus/$n" "tests/fuzz/corpus/$n"
	fi
	if "$bin" -max_len=16384 -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix="$OUT/artifacts/$n-" \
	    "$@" >"$OUT/$n.log" 2>&1; then
		echo "fuzz: ok   $n ($(grep -m1 '^stat::number_of_executed_units' "$OUT/$n.log" | awk '{print $2}') runs)"
	else
		echo "fuzz: FAIL $n (log: $OUT/$n.log; inputs: $OUT/artifacts/$n-*)"
		grep -m5 -E 'ERROR|SUMMARY|runtime error' "$OUT/$n.log" | sed 's/^/    /'
		fail=1
	fi
done
exit $fail
