#!/usr/bin/env bash
# ceremony-partial.sh: a device-batch ceremony whose batch has requests the
# policy refuses still reaches its seal: the step is journaled "partial" with
# what was refused, the signed certificates are there, 'ceremony run' exits 3,
# and the transcript says so.  A step that really fails still aborts.
. "$(dirname "$0")/../lib.sh"

init_ca acme
airca device-ca create --user-id u1 --label dca1 >/dev/null
# the PKI engineer tightened the policy before the ceremony (a shorter device
# validity): the batch step journals the change before it signs
sed -i '/^\[profile device\]$/,/^days = /s/^days = 3650$/days = 1000/' "$AIRCA_HOME/policy.conf"
grep -A1 '^\[profile device\]$' "$AIRCA_HOME/policy.conf" | grep -q '^days = 1000$' || fail "could not edit the policy"
printf '%s\n' "$TEST_PIN" >"$T/pin"
chmod 600 "$T/pin"
mkdir -p "$T/usb/in"
for i in 1 2 3; do
	u=$(printf '0f1e2d3c-4b5a-4978-8a6b-%012d' "$i")
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$T/k$i" -subj "/CN=$u/OU=acme" -out "$T/usb/in/dev-$i.csr" 2>/dev/null
done
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/kbad" -subj "/CN=0f1e2d3c-4b5a-4978-8a6b-999999999999/OU=evil" \
	-out "$T/usb/in/dev-bad.csr" 2>/dev/null

cat >"$T/confirm" <<EOF
participant officer Alice
participant officer Bob
participant witness Carol
confirm 1 Carol
confirm 2 Alice
confirm 3 Carol
confirm 4 Alice
confirm 5 Carol
confirm 6 Bob
confirm 7 Carol
confirm 8 Carol
EOF
run_ceremony() {
	"$AIRCA_BIN" --pin-file "$T/pin" ceremony run "$TOP/ceremony-scripts/device-batch.ceremony" \
		--param usb="$T/usb" --param ca=dca1 --param in="$T/usb/in" --param out="$1" \
		--confirm-file "$T/confirm"
}
rc=0
run_ceremony "$T/usb/out" >"$T/run" 2>&1 || rc=$?
[ "$rc" -eq 3 ] || { cat "$T/run"; fail "ceremony with refused requests exited $rc, want 3"; }
grep -q 'some inputs were refused by policy' "$T/run" || fail "runner did not say inputs were refused"
grep -q '^Ceremony .* sealed\.$' "$T/run" || { cat "$T/run"; fail "not sealed"; }
seal=$(sed -n 's/^  airca journal verify --seal \([0-9a-f]\{64\}\)$/\1/p' "$T/run")
[ ${#seal} -eq 64 ] || fail "no seal printed"
"$AIRCA_BIN" journal verify --seal "$seal" >/dev/null || fail "journal does not verify against the seal"

# the three good requests signed, the bad one listed with its reason
[ "$(ls "$T/usb/out"/*.pem | wc -l)" -eq 3 ] || fail "want 3 certificates"
grep -q '^dev-bad.csr: .*OU' "$T/usb/out/rejected.txt" || fail "rejected.txt lacks dev-bad.csr with an OU reason"
for f in "$T/usb/out"/*.pem; do
	openssl verify -CAfile "$AIRCA_HOME/root.pem" -untrusted "$f" "$f" >/dev/null || fail "$f does not verify"
done
(cd "$T/usb/out" && sha256sum -c --quiet SHA256SUMS) || fail "SHA256SUMS"

# journal: step 6 partial, with the refusal; the ceremony sealed, not aborted
grep '"event":"ceremony-step"' "$AIRCA_HOME/journal.jsonl" | grep '"step":6,' >"$T/step6"
grep -q '"result":"partial"' "$T/step6" || fail "step 6 not journaled as partial: $(cat "$T/step6")"
grep -q '"refused":' "$T/step6" || fail "step 6 does not say what was refused"
grep -q '"exit":3' "$T/step6" || fail "step 6 does not record exit 3"
grep -q '"event":"ceremony-aborted"' "$AIRCA_HOME/journal.jsonl" && fail "ceremony journaled as aborted"
tail -1 "$AIRCA_HOME/journal.jsonl" | grep -q '"event":"seal"' || fail "journal does not end on the seal"

# the transcript
"$AIRCA_BIN" ceremony report >"$T/rep" || fail "report of a sealed ceremony exited non-zero"
grep -q '^Step 6 of 8  run  (by the officer)  done, SOME INPUTS REFUSED' "$T/rep" || { cat "$T/rep"; fail "transcript step 6"; }
sed -n '/^Step 6 of 8/,/^Step 7 of 8/p' "$T/rep" | grep -q 'POLICY CHANGED since it was last recorded: policy.conf' ||
	{ cat "$T/rep"; fail "the policy change is not in step 6 of the transcript"; }
# the batch's tree hashes whole (64 digits, in groups), never cut to fit a line
in_tree=$(grep -o '"in-tree-sha256":"[0-9a-f]*"' "$AIRCA_HOME/journal.jsonl" | tail -1 | cut -d'"' -f4)
out_tree=$(grep -o '"out-tree-sha256":"[0-9a-f]*"' "$AIRCA_HOME/journal.jsonl" | tail -1 | cut -d'"' -f4)
[ ${#in_tree} -eq 64 ] && [ ${#out_tree} -eq 64 ] || fail "no tree hashes in batch-end"
for h in in-tree-sha256:$in_tree out-tree-sha256:$out_tree; do
	k=${h%%:*} v=${h#*:}
	[ "$(grep -A2 "^ *$k:\$" "$T/rep" | sed -n '2,3p' | tr -d ' \n')" = "$v" ] ||
		{ cat "$T/rep"; fail "transcript: $k not whole"; }
done
f=$(ls "$T/usb/out"/*.pem | head -1)
openssl x509 -in "$f" -noout -checkend $((1001 * 86400)) >/dev/null && fail "device certificate ignores the tightened days"

# a step that really fails (no such device CA) still aborts: exit 1, not sealed
rc=0
"$AIRCA_BIN" --pin-file "$T/pin" ceremony run "$TOP/ceremony-scripts/device-batch.ceremony" \
	--param usb="$T/usb" --param ca=nosuch --param in="$T/usb/in" --param out="$T/usb/out2" \
	--confirm-file "$T/confirm" >"$T/run2" 2>&1 || rc=$?
[ "$rc" -eq 1 ] || { cat "$T/run2"; fail "failing batch step exited $rc, want 1"; }
grep -q 'CEREMONY ABORTED at step 6' "$T/run2" || { cat "$T/run2"; fail "not aborted at step 6"; }
"$AIRCA_BIN" journal verify >/dev/null || fail "journal does not verify after the abort"
echo "ceremony-partial ok"
