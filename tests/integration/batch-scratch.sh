#!/usr/bin/env bash
# airca batch sign keeps its file names and duplicate sets in scratch files
# in the home (src/batch-names.c, src/dupset.c): names sorted in runs of
# AIRCA_TEST_BATCH_CHUNK and merged come out in exact byte order whatever
# their prefix and length, a duplicate is named across runs; a full disk
# under a scratch file (strace: fallocate or a page written back failing
# with ENOSPC) stops the batch with a sentence naming the file's purpose,
# the journal verifies and a re-run finishes with nothing issued twice; a
# kill -9 leaves no scratch file behind.
. "$(dirname "$0")/../lib.sh"
GEN="$TOP/$AIRCA_BUILD/tests/gen-csrs"

init_ca acme
H=$AIRCA_HOME J=$H/journal.jsonl
airca device-ca create --user-id u1 --label dca1 >/dev/null
issued() { grep -c '"event":"cert-issued"' "$J" || true; }
no_scratch_left() {
	ls -A "$H" | grep -E 'scratch|^#' && fail "$1: a scratch file is left in the home"
	return 0
}

# -- hostile names: all share a 185-byte prefix, sorted in runs of 3 -------
P=$(printf 'p%.0s' $(seq 1 185))
IN=$T/in OUT=$T/out
mkdir -p "$IN"
"$GEN" "$IN" 40 acme "$P"
# bytes above 0x7f sort after 'z' (strcmp compares unsigned bytes); names
# longer than 200 bytes are refused but still listed, in order
"$GEN" "$IN" 3 acme "${P}é"
"$GEN" "$IN" 2 acme "${P}$(printf 'q%.0s' $(seq 1 40))"
"$GEN" "$IN" 3 acme "${P:0:1}"
# the first request's CN again, under the last name: named across runs
first=$(cd "$IN" && ls | LC_ALL=C sort | head -1)
cp "$IN/$first" "$IN/${P}zzz-dup.csr"
n=$(ls "$IN" | wc -l)
AIRCA_TEST_BATCH_CHUNK=3 airca batch sign --ca dca1 --in "$IN" --out "$OUT" \
	>"$T/s1.out" 2>"$T/s1.err" && fail "names: a batch with rejections exits 0"
grep -q "requests rejected" "$T/s1.err" || { cat "$T/s1.err"; fail "names: not a partial batch"; }
grep -qF "${P}zzz-dup.csr: duplicate in this batch: CN " "$OUT/rejected.txt" &&
	grep -qF "is requested by $first too" "$OUT/rejected.txt" ||
	{ cat "$OUT/rejected.txt"; fail "names: the duplicate does not name $first"; }
grep -c "is longer than 200 bytes" "$OUT/rejected.txt" | grep -qx 2 ||
	fail "names: the two long names are not refused for their length"
# the input tree hash: every name in byte order, its content's SHA-256
python3 - "$IN" "$OUT/summary.json" "$OUT/rejected.txt" "$n" <<'PY' || fail "names: not in byte order"
import hashlib, json, os, sys
d, s = os.fsencode(sys.argv[1]), json.load(open(sys.argv[2]))
names = sorted(os.listdir(d))
assert len(names) == int(sys.argv[4]) == s["total"], (len(names), s["total"])
tree = hashlib.sha256()
for nm in names:
    h = b"-" * 64 if len(nm) > 200 else hashlib.sha256(open(os.path.join(d, nm), "rb").read()).hexdigest().encode()
    tree.update(h + b"  " + nm + b"\n")
assert s["in-tree-sha256"] == tree.hexdigest(), "tree hash: not the byte order"
got = [c["file"].encode() for c in s["certificates"]]
rej = [l.split(b": ", 1)[0] for l in open(sys.argv[3], "rb")]
assert got == [x for x in names if x in got] and len(got) == s["signed"], "summary.json order"
assert rej == [x for x in names if x in rej] and len(rej) == s["rejected"] == 3, "rejected.txt order"
PY
# the same batch sorted in one run: the same tree
rm -rf "$T/out1"
rc=0
airca batch sign --ca dca1 --in "$IN" --out "$T/out1" >/dev/null 2>&1 || rc=$?
[ "$rc" = 3 ] || fail "names: the second run exits $rc, want 3 (the same three rejected)"
[ "$(json_get "$T/out1/summary.json" in-tree-sha256)" = "$(json_get "$OUT/summary.json" in-tree-sha256)" ] ||
	fail "names: runs of 3 and one run give another order"
no_twice "names"
no_scratch_left "names"

# -- a full disk under the scratch files ---------------------------------
command -v strace >/dev/null || skip "strace is not installed (make deps)"
IN=$T/in2 OUT=$T/out2
mkdir -p "$IN"
"$GEN" "$IN" 300 acme
base=$(issued) base0=$(issued)
# faulted SYSCALL N TAG: batch sign under strace, the Nth SYSCALL (of each thread) failing with ENOSPC
faulted() {
	local sc=$1 n=$2 tag=$3
	# (LeakSanitizer cannot stop the world in a traced process)
	ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" AIRCA_TEST_SCRATCH_PAGES=1 \
		strace -f -qq -o /dev/null -e trace="$sc" \
		-e inject="$sc":error=ENOSPC:when="$n" "$AIRCA_BIN" --pin-env TEST_PIN \
		batch sign --ca dca1 --in "$IN" --out "$OUT" >"$T/$tag.out" 2>"$T/$tag.err" &&
		return 1
	grep -qE "the scratch file for (the batch's|the registry).* in .*: No space left on device" "$T/$tag.err" ||
		{ cat "$T/$tag.err"; fail "$tag: the message does not name the scratch file and ENOSPC"; }
	airca journal verify >/dev/null 2>"$T/v.err" || { cat "$T/v.err"; fail "$tag: journal does not verify"; }
	no_twice "$tag"
	no_scratch_left "$tag"
}
# fallocate: the registry's indexes first (made while the journal is
# replayed, as by any command: counted on 'list'), then the names' store,
# then the sets' files
traced "$T/reg-falloc.log" fallocate list
R=$(grep -c fallocate "$T/reg-falloc.log" || true)
[ "$R" -ge 3 ] || fail "the registry reserved $R scratch files, want at least its three indexes"
faulted fallocate $((R + 1)) falloc1 || fail "falloc1: a failed fallocate let the batch finish"
grep -q "cannot grow the scratch file for the batch's file names" "$T/falloc1.err" ||
	{ cat "$T/falloc1.err"; fail "falloc1: not the names' file"; }
[ "$(issued)" -eq "$base" ] || fail "falloc1: certificates issued before the batch could start"
faulted fallocate $((R + 3)) falloc3 || fail "falloc3: a failed fallocate let the batch finish"
grep -q "cannot grow the scratch file for the batch's duplicate" "$T/falloc3.err" ||
	{ cat "$T/falloc3.err"; fail "falloc3: not a duplicate set's file"; }
# a page written back (one page of cache: a few writes a request): the
# first, while the names are sorted; then one late in the signing loop (the
# thread that writes most: its count from a batch of as many requests)
# (the registry's pages go first, while the journal is replayed: counted on 'list')
AIRCA_TEST_SCRATCH_PAGES=1 traced "$T/reg-pw.log" pwrite64 list
P=$(grep -c pwrite64 "$T/reg-pw.log" || true)
faulted pwrite64 $((P + 1)) pw1 || fail "pw1: a failed write-back let the batch finish"
grep -q "cannot write the scratch file for the batch's file names" "$T/pw1.err" ||
	{ cat "$T/pw1.err"; fail "pw1: not the names' file"; }
[ "$(issued)" -eq "$base" ] || fail "pw1: certificates issued before the batch could start"
# the same batch on a copy of the home (the same journal to replay, the
# same token): how many pwrite64 the busiest thread makes
cp -a "$AIRCA_HOME" "$T/home-count"
AIRCA_HOME=$T/home-count AIRCA_TEST_SCRATCH_PAGES=1 traced "$T/count.log" pwrite64 \
	batch sign --ca dca1 --in "$IN" --out "$T/out-count"
rm -rf "$T/home-count" "$T/out-count"
most=$(awk '{print $1}' "$T/count.log" | sort | uniq -c | sort -n | tail -1 | awk '{print $1}')
base=$(issued)
n=$((most * 9 / 10))
faulted pwrite64 "$n" pwlate || fail "pwlate: a failed write-back ($n of $most) let the batch finish"
grep -qE "cannot write the scratch file for (the batch's duplicate|the registry)" "$T/pwlate.err" ||
	{ cat "$T/pwlate.err"; fail "pwlate: not a duplicate set's or the registry's file"; }
[ "$(issued)" -gt "$base" ] || fail "pwlate: no group journaled before the write-back failed ($n of $most): the mid-batch case is not reached"
# the disk has room again: the batch finishes, nothing issued twice
AIRCA_TEST_SCRATCH_PAGES=1 airca batch sign --ca dca1 --in "$IN" --out "$OUT" >"$T/re.out" 2>"$T/re.err" ||
	{ cat "$T/re.err"; fail "re-run after ENOSPC failed"; }
[ "$(ls "$OUT"/*.pem | wc -l)" -eq 300 ] || fail "re-run: want 300 certificates"
(cd "$OUT" && sha256sum -c --quiet SHA256SUMS) || fail "SHA256SUMS after the re-run"
[ "$(issued)" -eq $((base0 + 300)) ] || fail "want the batch's 300 certificates journaled once, got $(( $(issued) - base0 ))"
no_twice "re-run after ENOSPC"
airca journal verify >/dev/null || fail "journal after the re-run"

# -- kill -9 mid-batch: the scratch files were the process's alone --------
IN=$T/in3 OUT=$T/out3
mkdir -p "$IN"
"$GEN" "$IN" 400 acme
base=$(issued)
hreal=$(realpath "$H")
"$AIRCA_BIN" --pin-env TEST_PIN batch sign --ca dca1 --in "$IN" --out "$OUT" >/dev/null 2>&1 &
pid=$!
seen=0
for _ in $(seq 1 500); do
	if [ "$(issued)" -gt "$base" ]; then
		# unnamed files in the home while it runs
		for fd in /proc/$pid/fd/*; do
			case $(readlink "$fd" 2>/dev/null) in "$hreal/#"*" (deleted)") seen=$((seen + 1)) ;; esac
		done
		break
	fi
	kill -0 $pid 2>/dev/null || break
	sleep 0.01
done
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
[ "$seen" -ge 5 ] || fail "kill: want the names' store and the two sets' four files open, unnamed, in the home; saw $seen"
no_scratch_left "kill -9"
airca journal verify >/dev/null || fail "journal after kill -9"
airca batch sign --ca dca1 --in "$IN" --out "$OUT" >"$T/k.out" 2>"$T/k.err" ||
	{ cat "$T/k.err"; fail "re-run after kill -9 failed"; }
[ "$(issued)" -eq $((base + 400)) ] || fail "kill: want 400 certificates journaled"
no_twice "kill -9"
no_scratch_left "after the re-run"
echo "batch-scratch ok"
