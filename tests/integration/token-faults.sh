#!/usr/bin/env bash
# A token that fails the way real HSMs do (tests/p11shim): pulled out
# mid-batch, a locked PIN, a session limit, and error codes SoftHSM never
# returns.  Each reaches the officer as a sentence naming the token; the
# journal verifies after every failure, and a re-run finishes the batch with
# no serial and no CN issued twice.
. "$(dirname "$0")/../lib.sh"
GEN="$TOP/$AIRCA_BUILD/tests/gen-csrs"

init_ca acme
H=$AIRCA_HOME J=$H/journal.jsonl
airca device-ca create --user-id u1 --label dca1 >/dev/null
use_shim
IN=$T/in OUT=$T/out
mkdir -p "$IN"
N=400
"$GEN" "$IN" $N acme
issued() { grep -c '"event":"cert-issued"' "$J" || true; }
base=$(issued)
# never a hang: a command that waits on a token forever fails the test
airca_t() { timeout 120 "$AIRCA_BIN" --pin-env TEST_PIN "$@"; }
verify() { airca journal verify >/dev/null 2>"$T/v.err" || { cat "$T/v.err" >&2; fail "journal does not verify: $1"; }; }

# -- the token is pulled out after 300 signatures: exit 4, the token named
export P11SHIM_REMOVED=$T/token-out
P11SHIM_VANISH_AFTER=300 expect_fail 4 \
	"token 'airca'.*removed or stopped answering \(CKR_DEVICE_REMOVED\)" \
	airca_t batch sign --ca dca1 --in "$IN" --out "$OUT"
grep -qE "The batch stopped with [0-9]+ of $N requests signed and journaled: when the token answers again, run the same command" "$T/.stderr" ||
	{ cat "$T/.stderr"; fail "no word on what to do next"; }
grep -q "0x" "$T/.stderr" && { cat "$T/.stderr"; fail "a bare code reached the officer"; }
[ -e "$T/token-out" ] || fail "the shim did not pull the token"
verify "after the token was pulled"
got=$(( $(issued) - base ))
[ "$got" -gt 0 ] && [ "$got" -lt $N ] || fail "want part of the batch journaled, got $got"
grep -q "with $got of $N requests signed and journaled" "$T/.stderr" ||
	{ cat "$T/.stderr"; fail "the count of what was journaled is not $got"; }
[ -e "$OUT/SHA256SUMS" ] && fail "SHA256SUMS after a stopped batch: output looks complete"

# -- still out: nothing happens, nothing is journaled
lines=$(wc -l < "$J")
expect_fail 1 "no token labelled 'airca'.*insert the token" \
	airca batch sign --ca dca1 --in "$IN" --out "$OUT"
[ "$(wc -l < "$J")" -eq "$lines" ] || fail "a run without the token wrote to the journal"
verify "after a run without the token"

# -- re-inserted: the re-run finishes, nothing issued twice
rm "$T/token-out"
airca batch sign --ca dca1 --in "$IN" --out "$OUT" >"$T/re.out" 2>"$T/re.err" ||
	{ cat "$T/re.err"; fail "re-run after re-insertion failed"; }
grep -q "$((N - got)) signed, $got skipped" "$T/re.out" || { cat "$T/re.out"; fail "re-run: want $((N - got)) signed, $got skipped"; }
[ "$(ls "$OUT"/*.pem | wc -l)" -eq $N ] || fail "re-run: want $N certificates"
(cd "$OUT" && sha256sum -c --quiet SHA256SUMS) || fail "SHA256SUMS after re-run"
verify "after the re-run"
no_twice
[ "$(issued)" -eq $((base + N)) ] || fail "want $N device certificates in the journal"
for f in $(ls "$OUT"/*.pem | head -20); do
	openssl verify -CAfile "$H/root.pem" -untrusted "$f" "$f" >/dev/null || fail "$f: chain"
done
unset P11SHIM_REMOVED

# -- every code as a sentence, on the signature path and elsewhere
IN2=$T/in2
mkdir -p "$IN2"
"$GEN" "$IN2" 20 acme
n=0
for c in "C_Sign:3:CKR_DEVICE_ERROR:hardware or communication error \(CKR_DEVICE_ERROR\)" \
	"C_Sign:2:CKR_FUNCTION_FAILED:could not carry out the request \(CKR_FUNCTION_FAILED\)" \
	"C_SignInit:2:CKR_SESSION_HANDLE_INVALID:session is no longer valid .*\(CKR_SESSION_HANDLE_INVALID\)" \
	"C_GenerateRandom:3:CKR_DEVICE_REMOVED:removed or stopped answering \(CKR_DEVICE_REMOVED\)" \
	"C_GenerateRandom:2:0x80000042:an error of its vendor's \(code 0x80000042\)"; do
	n=$((n + 1))
	spec=${c%:*} want=${c##*:}
	lines=$(wc -l < "$J")
	P11SHIM_FAIL=$spec expect_fail 4 "token 'airca'.*$want" \
		airca_t batch sign --ca dca1 --in "$IN2" --out "$T/o$n"
	verify "after $spec"
done

# -- a locked PIN: said so, and C_Login is called once, never again
rm -f "$T/p11.log"
P11SHIM_FAIL=C_Login:1:CKR_PIN_LOCKED P11SHIM_LOG=$T/p11.log expect_fail 4 \
	"user PIN of token 'airca' is locked" airca_t batch sign --ca dca1 --in "$IN2" --out "$T/olock"
[ "$(grep -c '^C_Login ' "$T/p11.log")" -eq 1 ] || fail "C_Login called $(grep -c '^C_Login ' "$T/p11.log") times for a locked PIN"
# typed at the terminal, where a wrong PIN may be typed again: a locked one
# is not asked for again, even from a token that does not flag it locked
rm -f "$T/p11.log"
rc=0
P11SHIM_FAIL=C_Login:1:CKR_PIN_LOCKED P11SHIM_QUIET_LOCK=1 P11SHIM_LOG=$T/p11.log \
	python3 "$TOP/tests/ptydrive.py" 20 "expect:user PIN for token 'airca'[^\n]*: " \
	"send:$TEST_PIN\n" "expect:is locked" -- "$AIRCA_BIN" batch sign --ca dca1 \
	--in "$IN2" --out "$T/olock2" >"$T/pty" 2>&1 || rc=$?
[ $rc -eq 4 ] || { cat "$T/pty"; fail "typed PIN, locked: exit $rc, want 4"; }
grep -q "attempt 2" "$T/pty" && { cat "$T/pty"; fail "asked again for a locked PIN"; }
[ "$(grep -c '^C_Login ' "$T/p11.log")" -eq 1 ] || fail "typed PIN: C_Login called $(grep -c '^C_Login ' "$T/p11.log") times for a locked PIN"
verify "after a locked PIN"

# -- sessions: airca takes two and no more (its own and libp11's) ...
use_shim 2
P11SHIM_MAX_SESSIONS=2 P11SHIM_STATS=$T/stats airca batch sign --ca dca1 \
	--in "$IN2" --out "$T/o-sess" >"$T/sess.out" 2>&1 || { cat "$T/sess.out"; fail "batch with a 2-session token"; }
grep -q "^sessions_peak 2$" "$T/stats" || { cat "$T/stats"; fail "want 2 sessions at most"; }
# ... and a token with one session left is refused with a sentence, no hang
P11SHIM_MAX_SESSIONS=1 expect_fail 4 \
	"token 'airca' gives airca one session but it needs two.*no free session.*\(CKR_SESSION_COUNT\)" \
	airca_t batch sign --ca dca1 --in "$IN2" --out "$T/o-one"
# a profile that allows one session is refused before the token is touched
use_shim 1
expect_fail 4 "max_sessions = 1, but airca needs two sessions" \
	airca batch sign --ca dca1 --in "$IN2" --out "$T/o-one"
verify "after the session limits"
echo "token-faults ok"
