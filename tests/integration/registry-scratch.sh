#!/usr/bin/env bash
# The registry replayed into scratch files (src/pfile.c, src/dhash.c), not
# memory: with a cache of one page (AIRCA_TEST_SCRATCH_PAGES=1, so every
# lookup goes through the file) the registry, the lists and the duplicate
# checks are what the default cache gives; a write or read of a scratch
# file that fails (ENOSPC, EIO, injected by strace) stops the command with
# a sentence naming it, nothing judged after the failure is journaled,
# the journal verifies and a re-run completes with no CN or serial twice;
# nothing named is left in the home.
. "$(dirname "$0")/../lib.sh"
GEN="$TOP/$AIRCA_BUILD/tests/gen-csrs"
command -v strace >/dev/null || skip "strace is not installed"

init_ca acme
H=$AIRCA_HOME J=$H/journal.jsonl
airca device-ca create --user-id u1 --label dca1 >/dev/null
IN=$T/in OUT=$T/out
mkdir -p "$IN"
"$GEN" "$IN" 60 acme
ls -a "$H" | sort > "$T/home-before"

# 1. one page of cache: the same registry, lists and verdicts
AIRCA_TEST_SCRATCH_PAGES=1 airca batch sign --ca dca1 --in "$IN" --out "$OUT" >"$T/b1.out" 2>&1 ||
	{ cat "$T/b1.out"; fail "batch with a one-page scratch cache"; }
[ "$(ls "$OUT"/*.pem | wc -l)" -eq 60 ] || fail "want 60 certificates"
cp "$H/registry.jsonl" "$T/reg-1page"
airca registry rebuild >/dev/null 2>&1 || fail "registry rebuild"
cmp -s "$H/registry.jsonl" "$T/reg-1page" || fail "registry.jsonl differs between a one-page cache and the default one"
AIRCA_TEST_SCRATCH_PAGES=1 airca --json list > "$T/list-1" || fail "list, one page"
airca --json list > "$T/list-d" || fail "list"
# (days-left moves with the clock between the two runs: left out)
python3 - "$T/list-1" "$T/list-d" <<'PY' || fail "list differs between a one-page cache and the default one"
import json, sys
a, b = (json.load(open(f))["certificates"] for f in sys.argv[1:3])
for c in a + b:
    c.pop("days-left", None)
assert a == b, "differ"
PY
[ "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["certificates"]))' "$T/list-1")" -ge 62 ] ||
	fail "list shows fewer than the 62 certificates"

# a request already signed (same key, same CN) is re-exported, one with an issued CN refused
mkdir -p "$T/in2"
cp "$IN/dev-0000007.csr" "$T/in2/again.csr"
cn=$(openssl req -in "$IN/dev-0000012.csr" -noout -subject -nameopt multiline | sed -n 's/ *commonName *= *//p')
make_csr samecn "/OU=acme/CN=$(echo "$cn" | tr a-f A-F)"
cp "$T/samecn.csr" "$T/in2/samecn.csr"
rc=0
AIRCA_TEST_SCRATCH_PAGES=1 airca batch sign --ca dca1 --in "$T/in2" --out "$T/out2" >"$T/b2.out" 2>&1 || rc=$?
[ "$rc" -eq 3 ] || { cat "$T/b2.out"; fail "second batch: want exit 3 (one refused), got $rc"; }
grep -q '"file": "again.csr".*"status": "skipped"' "$T/out2/summary.json" || fail "the request signed before is not re-exported"
grep -q "was issued before" "$T/out2/rejected.txt" || fail "an issued CN (other case) was not refused: $(cat "$T/out2/rejected.txt")"

# a revocation and a CRL through one page
serial=$(sed -n 's/.*"serial":"\([0-9a-f]*\)","profile":"device".*/\1/p' "$H/registry.jsonl" | head -1)
AIRCA_TEST_SCRATCH_PAGES=1 airca revoke --serial "$serial" --reason keyCompromise >/dev/null 2>&1 || fail "revoke, one page"
AIRCA_TEST_SCRATCH_PAGES=1 airca crl --ca dca1 --out "$T/dca1.crl.pem" >/dev/null 2>&1 || fail "crl, one page"
openssl crl -in "$T/dca1.crl.pem" -noout -text | grep -qi "serial number: *$serial" || fail "the revoked serial is not on the CRL"
ls -a "$H" | sort > "$T/home-after"
comm -13 "$T/home-before" "$T/home-after" | grep -v '^certs$\|^registry.jsonl$\|^crl$' > "$T/new-files" || true
[ -s "$T/new-files" ] && fail "files left in the home: $(cat "$T/new-files")"

# faulted: the Nth SYSCALL of the process fails with ERR
faulted() {
	local sys=$1 err=$2 n=$3; shift 3
	( ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" AIRCA_TEST_SCRATCH_PAGES=1 \
		strace -f -y -qq -o "$T/strace.log" -e trace="$sys" -e inject="$sys:error=$err:when=$n" \
		"$AIRCA_BIN" --pin-env TEST_PIN "$@" >"$T/f.out" 2>"$T/f.err"; exit $? ) 2>/dev/null
}
# was the faulted call on a scratch file of the home (no name: "(deleted)" or O_TMPFILE's "#N")?
on_scratch() { grep -E "= -1 $1 .*\(INJECTED\)" "$T/strace.log" | grep -qE "<$H/(#[0-9]+|\.airca-tmp\.[^>]*) ?(\(deleted\))?>"; }

# 2. a write-back that meets a full disk, during the replay of a read-only command
hit=0
for n in 1 3 10; do
	rc=0; faulted pwrite64 ENOSPC "$n" list || rc=$?
	on_scratch ENOSPC || continue
	hit=1
	[ "$rc" -ne 0 ] || fail "list with a failed scratch write (call $n) exited 0"
	grep -q "cannot write the scratch file for the registry.*No space left on device" "$T/f.err" ||
		{ cat "$T/f.err"; fail "ENOSPC on a scratch file: no sentence naming it"; }
done
[ "$hit" = 1 ] || fail "no pwrite64 of a scratch file was faulted in list"

# 3. a scratch read that fails (EIO) in the middle of a batch: it stops,
# nothing after is journaled.  300 requests: three journal groups of 128.
# Where the calls fall is counted first on a copy of the home.
mkdir -p "$T/in3"
"$GEN" "$T/in3" 300 acme
cp -a "$H" "$T/hcopy"
AIRCA_HOME=$T/hcopy AIRCA_TEST_SCRATCH_PAGES=1 traced "$T/count.log" pread64 \
	batch sign --ca dca1 --in "$T/in3" --out "$T/outc"
# strace counts when=N per thread: N from the thread that reads the home's
# scratch files most
total=$(grep -E "pread64\([0-9]+<$T/hcopy/(#[0-9]+|\.airca-tmp\.[^>]*) ?(\(deleted\))?>" "$T/count.log" |
	awk '{ print $1 }' | sort | uniq -c | sort -n | tail -1 | awk '{ print $1 }')
[ "${total:-0}" -gt 100 ] || fail "the batch read its scratch files only ${total:-0} times: the count is wrong"
rm -rf "$T/hcopy" "$T/outc"
before=$(grep -c '"event":"cert-issued"' "$J")
mid=0
for q in 2 3; do
	n=$((total * q / 4))
	rc=0; faulted pread64 EIO "$n" batch sign --ca dca1 --in "$T/in3" --out "$T/out3" || rc=$?
	airca journal verify >/dev/null 2>"$T/v.err" || { cat "$T/v.err"; fail "journal after EIO at pread64 $n"; }
	on_scratch EIO || continue
	[ "$rc" -ne 0 ] || fail "batch with a failed scratch read (call $n) exited 0"
	grep -qE "cannot read the scratch file for (the registry|the batch's).*Input/output error" "$T/f.err" ||
		{ cat "$T/f.err"; fail "EIO on a scratch file: no sentence naming it"; }
	now=$(grep -c '"event":"cert-issued"' "$J")
	[ "$now" -gt "$before" ] && [ "$now" -lt $((before + 300)) ] && mid=1
	if [ -e "$T/out3/SHA256SUMS" ] && [ "$(grep -c '"event":"batch-end"' "$J")" -eq 0 ]; then
		fail "SHA256SUMS after a failed batch that did not end"
	fi
done
[ "$mid" = 1 ] || fail "no scratch read fault landed mid-batch (of $total pread64 calls)"
airca batch sign --ca dca1 --in "$T/in3" --out "$T/out3" >"$T/re.out" 2>&1 || { cat "$T/re.out"; fail "re-run after the faults"; }
[ "$(ls "$T/out3"/*.pem | wc -l)" -eq 300 ] || fail "re-run: want 300 certificates"
(cd "$T/out3" && sha256sum -c --quiet SHA256SUMS) || fail "SHA256SUMS after the re-run"
airca journal verify >/dev/null || fail "journal after the re-run"
no_twice
ls -a "$H" | sort > "$T/home-after"
comm -13 "$T/home-before" "$T/home-after" | grep -v '^certs$\|^registry.jsonl$\|^crl$' > "$T/new-files" || true
[ -s "$T/new-files" ] && fail "files left in the home: $(cat "$T/new-files")"
echo "registry scratch: one page agrees, ENOSPC and EIO stop cleanly"
