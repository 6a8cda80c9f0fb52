#!/usr/bin/env bash
# batch sign on several token sessions at once (tests/p11shim): signed in
# parallel, journaled in request order; without --sessions, as many as
# the profile's batch_sessions says; a token that opens fewer sessions
# than asked, or a profile that allows fewer, is said and signing goes on
# on fewer; a token pulled out, a kill -9 and a corrupted signature while
# four sessions sign leave a journal that verifies, and a re-run issues no
# serial or CN twice.
. "$(dirname "$0")/../lib.sh"
GEN="$TOP/$AIRCA_BUILD/tests/gen-csrs"

init_ca acme
H=$AIRCA_HOME J=$H/journal.jsonl
airca device-ca create --user-id u1 --label dca1 >/dev/null
dca=$(sed -n 's/.*"serial":"\([0-9a-f]*\)","profile":"device-ca".*/\1/p' "$H/registry.jsonl")
openssl x509 -in "$H/certs/$dca.pem" > "$T/dca.pem"
use_shim
airca_t() { timeout 120 "$AIRCA_BIN" --pin-env TEST_PIN "$@"; }
issued() { grep -c '"event":"cert-issued"' "$J" || true; }
verify() { airca journal verify >/dev/null 2>"$T/v.err" || { cat "$T/v.err" >&2; fail "journal does not verify: $1"; }; }
# the inputs of the cert-issued events after line $1, in journal order
inputs_after() { tail -n +"$(( $1 + 1 ))" "$J" | grep '"event":"cert-issued"' | sed 's/.*"input":"\([^"]*\)".*/\1/'; }

# -- four sessions sign at once; the journal keeps request order
mkdir -p "$T/in1"
"$GEN" "$T/in1" 200 acme
lines=$(wc -l < "$J")
P11SHIM_SIGN_DELAY_MS=5 P11SHIM_STATS=$T/stats1 airca batch sign --ca dca1 \
	--in "$T/in1" --out "$T/o1" --sessions 4 >"$T/o1.out" 2>"$T/o1.err" ||
	{ cat "$T/o1.err"; fail "batch on four sessions"; }
grep -q "200 signed" "$T/o1.out" || { cat "$T/o1.out"; fail "want 200 signed"; }
grep -q "signing on" "$T/o1.err" && { cat "$T/o1.err"; fail "four sessions were there, yet fewer were used"; }
# four signing, airca's own, and the one that signs the journal
peak=$(sed -n 's/^sessions_peak //p' "$T/stats1")
[ "$peak" -ge 5 ] && [ "$peak" -le 6 ] || { cat "$T/stats1"; fail "want 5 or 6 sessions open at the peak, got $peak"; }
inputs_after "$lines" > "$T/order1"
ls "$T/in1" | LC_ALL=C sort > "$T/names1"
cmp -s "$T/order1" "$T/names1" || { diff "$T/order1" "$T/names1" | head; fail "cert-issued events not in request order"; }
for f in $(ls "$T/o1"/*.pem | head -5); do
	openssl verify -CAfile "$T/dca.pem" -partial_chain "$f" >/dev/null ||
		fail "$f does not verify with the device CA"
done
verify "after four sessions"

# -- without --sessions: the profile's batch_sessions; cpus (SoftHSM's):
# half this machine's processors, at least one
sessions_default() {
	local tag=$1 want=$2
	mkdir -p "$T/in-$tag"
	"$GEN" "$T/in-$tag" 30 acme
	P11SHIM_SIGN_DELAY_MS=5 P11SHIM_STATS=$T/stats-$tag airca batch sign --ca dca1 \
		--in "$T/in-$tag" --out "$T/o-$tag" >"$T/o-$tag.out" 2>&1 || { cat "$T/o-$tag.out"; fail "batch ($tag)"; }
	peak=$(sed -n 's/^sessions_peak //p' "$T/stats-$tag")
	[ "$peak" -ge $((want + 1)) ] && [ "$peak" -le $((want + 2)) ] ||
		{ cat "$T/stats-$tag"; fail "$tag: want $want signing sessions ($((want + 1)) or $((want + 2)) open at the peak), got $peak"; }
}
sessions_default default 4
cp "$T/shim.conf" "$T/shim.conf.orig"
sed -i 's/^max_sessions = .*/&\nbatch_sessions = 2/' "$T/shim.conf"
sessions_default two 2
half=$(( $(nproc) / 2 )); [ "$half" -ge 1 ] || half=1; [ "$half" -le 14 ] || half=14
sed -i 's/^batch_sessions = 2/batch_sessions = cpus/' "$T/shim.conf"
sessions_default cpus "$half"
cp "$T/shim.conf.orig" "$T/shim.conf"
verify "after the profile's default sessions"

# -- the token opens fewer sessions than asked: said, and signed on fewer
mkdir -p "$T/in2"
"$GEN" "$T/in2" 40 acme
P11SHIM_MAX_SESSIONS=4 P11SHIM_STATS=$T/stats2 airca batch sign --ca dca1 \
	--in "$T/in2" --out "$T/o2" --sessions 4 >"$T/o2.out" 2>"$T/o2.err" ||
	{ cat "$T/o2.err"; fail "batch with a 4-session token"; }
grep -q "token 'airca' opens only 2 more sessions now (.*CKR_SESSION_COUNT.*): signing on 2 sessions, not 4" "$T/o2.err" ||
	{ cat "$T/o2.err"; fail "the smaller session count is not said"; }
grep -q "40 signed" "$T/o2.out" || { cat "$T/o2.out"; fail "want 40 signed on fewer sessions"; }
grep -q "^sessions_peak 4$" "$T/stats2" || { cat "$T/stats2"; fail "want 4 sessions at most"; }

# -- the profile allows fewer: said, no more opened
use_shim 4
mkdir -p "$T/in3"
"$GEN" "$T/in3" 20 acme
P11SHIM_STATS=$T/stats3 airca batch sign --ca dca1 --in "$T/in3" --out "$T/o3" \
	--sessions 8 >"$T/o3.out" 2>"$T/o3.err" || { cat "$T/o3.err"; fail "batch with max_sessions = 4"; }
grep -q "allows 4 sessions (max_sessions) and airca keeps 2 for its own work: signing on 2 sessions, not 8" "$T/o3.err" ||
	{ cat "$T/o3.err"; fail "the profile's limit is not said"; }
peak=$(sed -n 's/^sessions_peak //p' "$T/stats3")
[ "$peak" -le 4 ] || { cat "$T/stats3"; fail "want 4 sessions at most, got $peak"; }
use_shim
verify "after fewer sessions"

# -- pulled out while four sessions sign: exit 4; the re-run finishes
mkdir -p "$T/in4"
N=300
"$GEN" "$T/in4" $N acme
base=$(issued)
export P11SHIM_REMOVED=$T/token-out
P11SHIM_SIGN_DELAY_MS=2 P11SHIM_VANISH_AFTER=250 expect_fail 4 \
	"token 'airca'.*removed or stopped answering \(CKR_DEVICE_REMOVED\).*The batch stopped with [0-9]+ of $N requests signed and journaled" \
	airca_t batch sign --ca dca1 --in "$T/in4" --out "$T/o4" --sessions 4
verify "after the token was pulled from four sessions"
got=$(( $(issued) - base ))
[ "$got" -gt 0 ] && [ "$got" -lt $N ] || fail "want part of the batch journaled, got $got"
grep -q "with $got of $N requests signed and journaled" "$T/.stderr" ||
	{ cat "$T/.stderr"; fail "the count of what was journaled is not $got"; }
rm "$T/token-out"
unset P11SHIM_REMOVED
airca batch sign --ca dca1 --in "$T/in4" --out "$T/o4" --sessions 4 >"$T/re4.out" 2>"$T/re4.err" ||
	{ cat "$T/re4.err"; fail "re-run after re-insertion failed"; }
grep -q "$((N - got)) signed, $got skipped" "$T/re4.out" || { cat "$T/re4.out"; fail "re-run: want $((N - got)) signed, $got skipped"; }
(cd "$T/o4" && sha256sum -c --quiet SHA256SUMS) || fail "SHA256SUMS after the re-run"
[ "$(issued)" -eq $((base + N)) ] || fail "want $N more device certificates in the journal"
verify "after the re-run"
no_twice "token pulled"

# -- kill -9 while four sessions sign; the re-run finishes
mkdir -p "$T/in5"
"$GEN" "$T/in5" $N acme
base=$(issued)
P11SHIM_SIGN_DELAY_MS=20 "$AIRCA_BIN" --pin-env TEST_PIN batch sign --ca dca1 \
	--in "$T/in5" --out "$T/o5" --sessions 4 >/dev/null 2>&1 &
pid=$!
for _ in $(seq 600); do
	[ "$(( $(issued) - base ))" -ge 1 ] && break
	sleep 0.05
done
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
got=$(( $(issued) - base ))
[ "$got" -lt $N ] || fail "the batch finished before the kill ($got)"
verify "after kill -9 during parallel signing"
airca batch sign --ca dca1 --in "$T/in5" --out "$T/o5" --sessions 4 >"$T/re5.out" 2>"$T/re5.err" ||
	{ cat "$T/re5.err"; fail "re-run after kill -9 failed"; }
[ "$(issued)" -eq $((base + N)) ] || fail "want $N more device certificates in the journal after the re-run"
[ "$(ls "$T/o5"/*.pem | wc -l)" -eq $N ] || fail "want $N certificates after the re-run"
verify "after the re-run after kill -9"
no_twice "kill -9"

# -- one session's signature corrupted: caught before it is journaled
mkdir -p "$T/in6"
"$GEN" "$T/in6" 60 acme
base=$(issued)
P11SHIM_SIGN_DELAY_MS=2 P11SHIM_CORRUPT_SIGN=9 expect_fail 1 \
	"the new device certificate does not verify with the issuer.s public key" \
	airca batch sign --ca dca1 --in "$T/in6" --out "$T/o6" --sessions 4
verify "after a corrupted signature on one session"
[ "$(issued)" -eq "$base" ] || fail "a certificate was journaled from the group with the corrupted signature"
[ -n "$(ls "$T/o6" 2>/dev/null | grep '\.pem$')" ] && fail "a certificate was written"
airca batch sign --ca dca1 --in "$T/in6" --out "$T/o6" --sessions 4 >/dev/null 2>"$T/re6.err" ||
	{ cat "$T/re6.err"; fail "re-run after the corrupted signature failed"; }
for f in "$T/o6"/*.pem; do
	openssl verify -CAfile "$T/dca.pem" -partial_chain "$f" >/dev/null ||
		fail "$f does not verify with the device CA"
done
no_twice "corrupted signature"
echo "PASS batch-sessions"
