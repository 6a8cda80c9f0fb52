#!/usr/bin/env bash
# Ceremony scripts: every shipped script checks; device-ca.ceremony runs non-interactively on SoftHSM, journaling opening, steps and seal; a failing or declined step stops with the journal intact; the paper form.
. "$(dirname "$0")/../lib.sh"

A=$AIRCA_BIN
S=$TOP/ceremony-scripts/device-ca.ceremony
J=$AIRCA_HOME/journal.jsonl
printf '%s\n' "$TEST_PIN" > "$T/pin"
chmod 600 "$T/pin"
ev() { grep -E "\"event\": ?\"$1\"" "$J"; }

# 1. every shipped script parses against this build's command table
for f in "$TOP"/ceremony-scripts/*.ceremony; do
	if ! "$A" ceremony check "$f" >"$T/chk" 2>&1; then
		if grep -qE "'(batch sign|device-ca revoke|device-ca disable)' is not an airca command" "$T/chk"; then
			echo "SKIP $f: $(cat "$T/chk")"
		else
			cat "$T/chk" >&2; fail "ceremony check $f"
		fi
	fi
done

# 2. the paper form: sign-off lines, 80 columns
"$A" ceremony print "$S" >"$T/form" || fail "ceremony print"
grep -q 'Create a local device CA' "$T/form" || fail "form lacks the title"
[ "$(grep -c 'confirmed by ______.* at __:__ UTC' "$T/form")" -eq 8 ] || fail "form: a confirm line per step"
[ "$(grep -c 'signature ____' "$T/form")" -eq 3 ] || fail "form: a signature line per participant"
grep -q '{user-id}' "$T/form" || fail "form without --param shows the placeholder"
awk 'length($0) > 80 { exit 1 }' "$T/form" || fail "form wider than 80 columns"
sha=$(sha256sum "$S" | cut -c1-4)
grep -q "SHA-256:     $sha " "$T/form" || fail "form lacks the script's SHA-256"
"$A" ceremony print "$S" --param user-id=u42 >"$T/form2" || fail "print --param"
grep -q 'user-id u42' "$T/form2" || fail "form with --param shows the value"

# 3. strictness reaches the CLI with FILE:LINE
printf 'airca-ceremony 1\ntitle: x\nroles: officer 1\nstep 1 run device-ca crate by officer\n  say: x\n' >"$T/bad.ceremony"
expect_fail 1 "bad.ceremony:4: 'device-ca crate' is not an airca command" "$A" ceremony check "$T/bad.ceremony"
printf 'airca-ceremony 1\ntitle: x\nroles: officer 1\nstep 1 run sign --pin-env X by officer\n  say: x\n' >"$T/bad.ceremony"
expect_fail 1 "bad.ceremony:4: '--pin-env': a script names no" "$A" ceremony check "$T/bad.ceremony"

# 4. device-ca.ceremony, confirmations from a file
init_ca acme
mkdir "$T/usb"
params=(--param user-id=u42 --param usb="$T/usb" --param out="$T/usb/out")
cat >"$T/confirm" <<EOF
# rehearsal
participant officer Alice
participant officer Bob
participant witness Carol
confirm 1 Carol
confirm 2 Alice
confirm 3 Carol
confirm 4 Alice
confirm 5 Bob
confirm 6 Bob
confirm 7 Carol
confirm 8 Carol
EOF
have_seal=0
"$A" help 2>&1 | grep -q 'journal seal' && have_seal=1
rc=0
"$A" --pin-file "$T/pin" ceremony run "$S" "${params[@]}" --confirm-file "$T/confirm" >"$T/run" 2>"$T/run.err" || rc=$?
cat "$T/run" "$T/run.err"
if [ $have_seal -eq 1 ]; then
	[ $rc -eq 0 ] || fail "device-ca ceremony exited $rc"
	grep -q 'sealed' "$T/run" || fail "no 'sealed'"
	tail -1 "$J" | grep -qE '"event": ?"seal"' || fail "the seal is not the journal's last entry"
else
	echo "SKIP seal: this build has no 'journal seal' (the ceremony must stop at step 8)"
	[ $rc -ne 0 ] || fail "ceremony without 'journal seal' succeeded"
	cat "$T/run" "$T/run.err" | grep -q "no 'journal seal' command" || fail "missing seal command not reported"
fi
id=$(sed -n 's/^  id \(ceremony-[0-9TZ]*-[0-9a-f]*\)$/\1/p' "$T/run")
[ -n "$id" ] || fail "no ceremony id printed"
ev ceremony-opened | grep "$id" | grep -qE '"interactive": ?false' || fail "opening not journaled as non-interactive"
ev ceremony-opened | grep "$id" | grep -q '"Alice"' || fail "participants not journaled"
ev ceremony-opened | grep "$id" | grep -q "\"$(sha256sum "$S" | cut -d' ' -f1)\"" || fail "script SHA-256 not journaled"
[ "$(ev ceremony-step | grep "$id" | grep -cE '"result": ?"ok"')" -eq 7 ] || fail "want 7 steps ok"
ev ceremony-step | grep "$id" | grep -E '"step": ?5' | grep -q '"confirmed-by": \?"Bob"' || fail "step 5 confirmer"
ev cert-issued | grep "$id" | grep -qE '"actor": ?"Bob"' || fail "the device CA is not journaled under the ceremony, by Bob"
ev ceremony-step | grep "$id" | grep -E '"step": ?7' | grep -q "$(sha256sum "$T/usb/out/upload.json" | cut -d' ' -f1)" || fail "fingerprint of upload.json"
[ -f "$T/usb/out/upload.json" ] || fail "no upload.json"
# every step entry of a confirm-file run says it was not interactive
[ "$(ev ceremony-step | grep "$id" | grep -cE '"interactive": ?false')" -eq 8 ] || fail "steps not marked non-interactive"
# show-fingerprint shows a QR code under each hash (2 files: 2 codes)
[ "$(sed -n '/^Step 7 of 8/,/^Step 8 of 8/p' "$T/run" | grep -c '^    █████████')" -ge 4 ] || fail "no QR codes in step 7"
iconv -f UTF-8 -t UTF-8 "$T/run" >/dev/null || fail "the runner's output is not valid UTF-8 (a QR row cut mid-character)"
[ "$(sed -n '/^Step 7 of 8/,/^Step 8 of 8/p' "$T/run" | LC_ALL=C.UTF-8 grep -c '^    [█▀▄ ]\{45\}$')" -eq 46 ] || fail "want 2 QR codes of 23 rows, 45 columns"

# 5. a failing step stops the ceremony, the journal intact: same user again
# (its default label is taken) fails at step 5
cp "$J" "$T/journal.before"
sed 's/^confirm 8 Carol$//' "$T/confirm" >"$T/confirm2"
rc=0
"$A" --pin-file "$T/pin" ceremony run "$S" --param user-id=u42 --param usb="$T/usb" \
	--param out="$T/usb/out2" --confirm-file "$T/confirm2" >"$T/run" 2>&1 || rc=$?
[ $rc -eq 1 ] || { cat "$T/run"; fail "failing ceremony exited $rc, want 1"; }
grep -q 'CEREMONY ABORTED at step 5' "$T/run" || fail "abort not printed"
grep -q "is taken" "$T/run" || fail "reason not printed"
cmp -s "$T/journal.before" <(head -c "$(stat -c %s "$T/journal.before")" "$J") || fail "journal changed before its end"
ev ceremony-aborted | tail -1 | grep -qE '"step": ?5' || fail "aborted entry lacks the step"
# the abort is signed at once (one more login): the journal verifies
tail -1 "$J" | grep -qE '"event": ?"checkpoint"' || fail "the abort is not signed"
grep -q 'the abort is signed' "$T/run" || fail "signing the abort not shown"
"$A" journal verify >/dev/null || fail "journal does not verify after an abort"
ev ceremony-step | tail -1 | grep -qE '"result": ?"failed"' || fail "failed step not journaled"
[ -e "$T/usb/out2" ] && fail "a step after the failure ran"

# 6. declined, and the wrong role confirming
sed 's/^confirm 2 Alice$/decline 2 Alice/' "$T/confirm" >"$T/confirm3"
expect_fail 1 "step 2 declined by Alice" "$A" ceremony run "$S" --param user-id=u43 \
	--param usb="$T/usb" --param out="$T/usb/out3" --confirm-file "$T/confirm3"
ev ceremony-step | tail -1 | grep -qE '"result": ?"declined"' || fail "declined step not journaled"
# the abort could not be signed (no PIN source): nothing is signed over it
# until an officer has looked at it and adopted it
expect_fail 1 "no signature covers and that this airca did not write" \
	airca device-ca create --user-id u99
airca journal repair --adopt --yes >"$T/adopt" || fail "adopting the unsigned abort"
grep -q "adopted" "$T/adopt" || fail "repair --adopt says what it did"
ev journal-tail-adopted | grep -q '"ceremony-aborted"' || fail "the adoption lists the aborted ceremony's entries"
sed 's/^confirm 1 Carol$/confirm 1 Bob/' "$T/confirm" >"$T/confirm4"
expect_fail 1 "Bob is officer; step 1 is confirmed by the witness" "$A" ceremony run "$S" \
	--param user-id=u43 --param usb="$T/usb" --param out="$T/usb/out3" --confirm-file "$T/confirm4"
airca journal repair --adopt --yes >/dev/null || fail "adopting the second abort"
# parameters and confirm files are checked before anything runs
expect_fail 2 "needs --param out=VALUE" "$A" ceremony run "$S" --param user-id=u43 --param usb="$T/usb" --confirm-file "$T/confirm"
expect_fail 2 "value starts with '-'" "$A" ceremony run "$S" --param user-id=--pin-env=X --confirm-file "$T/confirm"
printf 'participant officer Alice\nconfirm 1 Carol\n' >"$T/confirm5"
expect_fail 1 "names 1 officer" "$A" ceremony run "$S" "${params[@]}" --confirm-file "$T/confirm5"
[ -e "$T/usb/out3" ] && fail "a declined ceremony ran a command"

# 7. confirmations from an environment variable
export CONFIRM="participant officer Alice;participant officer Bob;participant witness Carol;decline 1 Carol"
expect_fail 1 "step 1 declined by Carol" "$A" ceremony run "$S" --param user-id=u44 \
	--param usb="$T/usb" --param out="$T/usb/out4" --confirm-env CONFIRM
ev ceremony-opened | tail -1 | grep -q '"env CONFIRM"' || fail "env source not journaled"
airca journal repair --adopt --yes >/dev/null || fail "adopting the declined run"

# 8. a run step's input (--in) is shown by SHA-256 before it is confirmed, and journaled
make_csr gw "/CN=gw.example.com" "DNS:gw.example.com"
cp "$T/gw.csr" "$T/usb/gw.csr"
in_sha=$(sha256sum "$T/usb/gw.csr" | cut -c1-64)
printf 'participant officer Alice\nparticipant officer Bob\nparticipant witness Carol\nconfirm 1 Carol\nconfirm 2 Alice\nconfirm 3 Carol\nconfirm 4 Alice\nconfirm 5 Carol\nconfirm 6 Bob\nconfirm 7 Carol\nconfirm 8 Carol\n' >"$T/c-tls"
"$A" --pin-file "$T/pin" ceremony run "$TOP/ceremony-scripts/rotate-tls.ceremony" --param usb="$T/usb" \
	--param csr="$T/usb/gw.csr" --param cert="$T/usb/gw.pem" --confirm-file "$T/c-tls" >"$T/run" 2>&1 || { cat "$T/run"; fail "rotate-tls ceremony"; }
sed -n '/^Step 6 of 8/,/confirmed by Bob/p' "$T/run" >"$T/step6"
grep -q "^  input $T/usb/gw.csr$" "$T/step6" || { cat "$T/step6"; fail "run step input not shown before the confirmation"; }
[ "$(grep -A2 '^  input ' "$T/step6" | sed -n '2,3p' | tr -d ' \n')" = "$in_sha" ] || fail "input SHA-256 shown"
ev ceremony-step | grep -E '"step": ?6' | tail -1 | grep -q "\"inputs\": \?\[{\"path\": \?\"$T/usb/gw.csr\", \?\"sha256\": \?\"$in_sha\"" || fail "input not journaled"
"$A" ceremony report >"$T/rep" || fail "report of rotate-tls"
[ "$(sed -n '/^Step 6 of 8/,/^Step 7 of 8/p' "$T/rep" | grep -A2 "^  input $T/usb/gw.csr$" | sed -n '2,3p' | tr -d ' \n')" = "$in_sha" ] || fail "input not in the transcript"
openssl x509 -in "$T/usb/gw.pem" -noout -ext subjectAltName | grep -q 'DNS:gw.example.com' || fail "tls certificate"
echo ok
