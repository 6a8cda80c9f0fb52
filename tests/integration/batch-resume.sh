#!/usr/bin/env bash
# airca batch sign killed with SIGKILL mid-batch: the journal verifies, no
# output looks complete, and a re-run finishes the job, skipping (and
# re-exporting) what was signed: no CN signed twice, no serial twice.
. "$(dirname "$0")/../lib.sh"
GEN="$TOP/$AIRCA_BUILD/tests/gen-csrs"

init_ca acme
H=$AIRCA_HOME J=$H/journal.jsonl
airca device-ca create --user-id u1 --label dca1 >/dev/null
IN=$T/in OUT=$T/out
mkdir -p "$IN"
N=400
"$GEN" "$IN" $N acme

issued() { grep -c '"event":"cert-issued"' "$J" || true; }
base=$(issued)
# kill at three points: as soon as it runs, after the first signed group, later
for wait_for in 0 1 200; do
	"$AIRCA_BIN" --pin-env TEST_PIN batch sign --ca dca1 --in "$IN" --out "$OUT" \
		>"$T/run.out" 2>"$T/run.err" &
	pid=$!
	for _ in $(seq 1 400); do
		[ $(( $(issued) - base )) -ge "$wait_for" ] && break
		kill -0 $pid 2>/dev/null || break
		sleep 0.01
	done
	kill -9 $pid 2>/dev/null || true
	wait $pid 2>/dev/null || true
	airca journal verify >/dev/null 2>"$T/v.err" || { cat "$T/v.err"; fail "journal does not verify after kill -9 (wait for $wait_for)"; }
	if [ -e "$OUT/SHA256SUMS" ] && ! grep -q '"event":"batch-end"' "$J"; then
		fail "SHA256SUMS there after a killed batch: output looks complete"
	fi
	[ $(( $(issued) - base )) -lt $N ] || break
done
got=$(( $(issued) - base ))
echo "killed runs issued $got of $N"
[ "$got" -lt $N ] || echo "note: the batch finished before a kill landed"

# the re-run finishes: exit 0, everything out, nothing signed twice
airca batch sign --ca dca1 --in "$IN" --out "$OUT" >"$T/re.out" 2>"$T/re.err" || { cat "$T/re.err"; fail "re-run failed"; }
[ "$(ls "$OUT"/*.pem | wc -l)" -eq $N ] || fail "re-run: want $N certificates"
(cd "$OUT" && sha256sum -c --quiet SHA256SUMS) || fail "SHA256SUMS after re-run"
airca journal verify >/dev/null || fail "journal after re-run"
no_twice
[ "$(issued)" -eq $((base + N)) ] || fail "want $N device certificates in the journal, got $(( $(issued) - base ))"
python3 - "$OUT/summary.json" $N $got <<'PY' || fail "summary.json after re-run"
import json, sys
s = json.load(open(sys.argv[1]))
n, before = int(sys.argv[2]), int(sys.argv[3])
assert s["signed"] + s["skipped"] == n and s["rejected"] == 0, s
assert s["skipped"] == before, ("what the killed runs journaled is skipped", s["skipped"], before)
PY
for f in $(ls "$OUT"/*.pem | head -50); do
	openssl verify -CAfile "$H/root.pem" -untrusted "$f" "$f" >/dev/null || fail "$f: chain"
done

# a third run skips everything and re-exports it into a new directory, identical
airca batch sign --ca dca1 --in "$IN" --out "$T/again" >"$T/again.out" || fail "third run"
grep -q "0 signed, $N skipped" "$T/again.out" || { cat "$T/again.out"; fail "third run should skip all"; }
for f in $(ls "$OUT"/*.pem | head -50); do
	cmp -s "$f" "$T/again/$(basename "$f")" || fail "$f: re-export differs"
done
[ "$(issued)" -eq $((base + N)) ] || fail "the third run signed again"

# the registry agrees with the journal
airca registry rebuild >"$T/rb.out" 2>&1 || { cat "$T/rb.out"; fail "registry rebuild"; }
grep -q "identical to the registry it replaced" "$T/rb.out" || { cat "$T/rb.out"; fail "registry differs from the journal's"; }

# a full disk at one of the journal's syncs: every certificate the stick got
# is in the journal (a certificate is written out only after its entry is
# synced: a journal cut back to its last sync loses none of them)
mkdir -p "$T/in2" && "$GEN" "$T/in2" 3 acme full-
for n in 2 3 4; do
	(strace -f -qq -o /dev/null -e trace=fdatasync -e inject=fdatasync:error=ENOSPC:when=$n \
		"$AIRCA_BIN" --pin-env TEST_PIN batch sign --ca dca1 --in "$T/in2" --out "$T/full$n" \
		>/dev/null 2>"$T/full.err"; exit $?) 2>/dev/null && continue
	grep -q "No space left on device" "$T/full.err" || fail "full disk at sync $n: $(cat "$T/full.err")"
	for f in "$T/full$n"/*.pem; do
		[ -e "$f" ] || continue
		s=$(openssl x509 -in "$f" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f')
		grep '"event":"cert-issued"' "$J" | grep -q "\"serial\":\"$s\"" ||
			fail "full disk at sync $n: ${f##*/} (serial $s) is on the stick but not in the journal"
	done
	airca journal repair --adopt --yes >/dev/null 2>&1 || true
	airca journal verify >/dev/null || fail "journal after a full disk at sync $n"
done
echo "batch-resume ok"
