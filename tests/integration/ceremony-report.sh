#!/usr/bin/env bash
# ceremony report: root-init and device-ca ceremonies run from confirm files, then their transcripts from the verified journal (names, roles, steps, confirmers, init's keys under its step, serials, seal hex = the runner's, QR, 80 columns); an aborted ceremony is reported NOT SEALED (exit 1); an unsigned tail and a tampered journal give exit 5 and no transcript.
. "$(dirname "$0")/../lib.sh"

A=$AIRCA_BIN
J=$AIRCA_HOME/journal.jsonl
printf '%s\n' "$TEST_PIN" > "$T/pin"
chmod 600 "$T/pin"
# the seal's hex as the report prints it: two lines of eight groups after "Seal SHA-256"
report_seal() { grep -A3 '^  Seal SHA-256' "$1" | sed -n '3,4p' | tr -d ' \n'; }

# 1. root initialisation as a ceremony: no home before it
make_token
cat >"$T/c-root" <<EOF
participant officer Zoë Smith
participant officer Bob
participant witness Carol
confirm 1 Carol
confirm 2 Zoë Smith
confirm 3 Carol
confirm 4 Bob
confirm 5 Carol
EOF
"$A" --pin-file "$T/pin" ceremony run "$TOP/ceremony-scripts/root-init.ceremony" \
	--param factory=acme --confirm-file "$T/c-root" >"$T/run1" 2>&1 || { cat "$T/run1"; fail "root-init ceremony"; }
seal1=$(sed -n 's/^  airca journal verify --seal \([0-9a-f]\{64\}\)$/\1/p' "$T/run1")
id1=$(sed -n 's/^  id \(ceremony-[0-9TZ]*-[0-9a-f]*\)$/\1/p' "$T/run1")
[ ${#seal1} -eq 64 ] && [ -n "$id1" ] || { cat "$T/run1"; fail "no seal or id printed by the runner"; }

"$A" ceremony report >"$T/rep1" 2>"$T/rep1.err" || { cat "$T/rep1" "$T/rep1.err"; fail "ceremony report exited non-zero"; }
cat "$T/rep1"
grep -q '^AIRCA CEREMONY TRANSCRIPT$' "$T/rep1" || fail "no title line"
grep -q "^Ceremony: *$id1$" "$T/rep1" || fail "wrong ceremony id"
grep -qi 'root' <(sed -n 3p "$T/rep1") || fail "script title missing"
sha=$(sha256sum "$TOP/ceremony-scripts/root-init.ceremony" | cut -c1-64 | sed 's/..../& /g; s/ $//')
[ "$(grep -A2 '^SHA-256:' "$T/rep1" | sed -n '2,3p' | tr -d ' \n')" = "$(echo "$sha" | tr -d ' ')" ] || fail "script SHA-256 in the header"
grep -qE '^  officer +Zoë Smith +signature' "$T/rep1" || fail "participant Zoë Smith (officer)"
grep -qE '^  witness +Carol +signature' "$T/rep1" || fail "participant Carol (witness)"
[ "$(grep -E '^  (officer|witness) .*signature' "$T/rep1" | (export LC_ALL=C.UTF-8; while IFS= read -r l; do p=${l%%signature*}; echo ${#p}; done) | sort -u | wc -l)" -eq 1 ] || fail "signature lines not aligned (UTF-8 name)"
grep -q 'NON-INTERACTIVE, from file' "$T/rep1" || fail "non-interactive run not marked"
grep -q 'VERIFIED: ' "$T/rep1" || fail "verification not shown"
grep -q 'Journal opened by this ceremony: factory acme' "$T/rep1" || fail "journal-open of the ceremony"
grep -qE "^Token: +'airca' serial" "$T/rep1" || fail "token of the ceremony"
[ "$(grep -c '^Step [0-9] of 5  ' "$T/rep1")" -eq 5 ] || fail "want 5 steps"
grep -A1 '^Step 1 of 5  confirm-clock  (by the witness)  ok' "$T/rep1" | grep -q 'confirmed by Carol (non-interactive)' || fail "step 1 confirmer"
grep -A1 '^Step 2 of 5  check-airgap' "$T/rep1" | grep -q 'confirmed by Zoë Smith' || fail "step 2 confirmer"
grep -q 'clock shown (UTC): 20' "$T/rep1" || fail "clock"
grep -q 'network interfaces up: .*HSM profile policy: warn' "$T/rep1" || fail "air gap"
grep -q 'command: airca init --factory acme' "$T/rep1" || fail "init command"
# init's own entries (keys, root and audit certificates) under step 4, not step 1
sed -n '/^Step 4 of 5/,/^Step 5 of 5/p' "$T/rep1" >"$T/step4"
grep -q 'confirmed by Bob' "$T/step4" || fail "step 4 confirmer"
grep -q 'key generated on the token: airca-root (ec-p256)' "$T/step4" || fail "root key under step 4"
grep -q 'key generated on the token: airca-audit' "$T/step4" || fail "audit key under step 4"
root_serial=$(openssl x509 -in "$AIRCA_HOME/root.pem" -noout -serial | cut -d= -f2 | tr A-F a-f | sed 's/^0*//')
grep -A1 "certificate issued (root) serial 0*$root_serial$" "$T/step4" | grep -q 'subject OU=acme,CN=Factory-CA' || fail "root serial $root_serial under step 4"
root_fp=$(openssl x509 -in "$AIRCA_HOME/root.pem" -noout -fingerprint -sha256 | cut -d= -f2 | tr -d : | tr A-F a-f)
[ "$(grep -A4 'certificate issued (root)' "$T/step4" | tail -2 | tr -d ' \n')" = "$root_fp" ] || fail "root fingerprint under step 4"
sed -n '/^Step 1 of 5/,/^Step 2 of 5/p' "$T/rep1" | grep -q 'key generated' && fail "init's keys shown under step 1"
grep -q 'policy written: policy.conf' "$T/step4" || fail "policy under step 4"
grep -A1 '^Step 5 of 5  seal  (by the witness)  confirmed' "$T/rep1" | grep -q 'confirmed by Carol' || fail "seal step"
grep -q '^  SEALED by Carol' "$T/rep1" || fail "sealed by Carol"
[ "$(report_seal "$T/rep1")" = "$seal1" ] || fail "report's seal $(report_seal "$T/rep1") != runner's $seal1"
[ "$(grep -c '▄' "$T/rep1")" -ge 15 ] || fail "no QR code"
[ "$(LC_ALL=C.UTF-8 wc -L <"$T/rep1")" -le 80 ] || fail "transcript wider than 80 columns"
grep -q 'no PIN\|token' "$T/rep1.err" && fail "report asked for a token: $(cat "$T/rep1.err")"
# the QR code is the seal: the witness's phone reads what 'journal verify --seal' checks
"$A" journal verify --seal "$seal1" >/dev/null || fail "journal verify --seal from the report"

# 2. a device CA ceremony; then one that fails at step 5 (the label is taken)
mkdir "$T/usb"
cat >"$T/c-dca" <<EOF
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
S=$TOP/ceremony-scripts/device-ca.ceremony
"$A" --pin-file "$T/pin" ceremony run "$S" --param user-id=u7 --param usb="$T/usb" \
	--param out="$T/usb/out" --confirm-file "$T/c-dca" >"$T/run2" 2>&1 || { cat "$T/run2"; fail "device-ca ceremony"; }
seal2=$(sed -n 's/^  airca journal verify --seal \([0-9a-f]\{64\}\)$/\1/p' "$T/run2")
id2=$(sed -n 's/^  id \(ceremony-[0-9TZ]*-[0-9a-f]*\)$/\1/p' "$T/run2")
"$A" ceremony report >"$T/rep2" || fail "report of the device-ca ceremony"
grep -q "^Ceremony: *$id2$" "$T/rep2" || fail "the default is the last ceremony"
[ "$(report_seal "$T/rep2")" = "$seal2" ] || fail "device-ca seal"
dca_serial=$(openssl x509 -in "$T/usb/out/device-cas.pem" -noout -serial | cut -d= -f2 | tr A-F a-f | sed 's/^0*//')
sed -n '/^Step 5 of 8/,/^Step 6 of 8/p' "$T/rep2" | grep -A1 "certificate issued (device-ca) serial 0*$dca_serial$" | grep -q "subject OU=acme,CN=fio-u7" || fail "device CA serial under step 5"
up=$(sha256sum "$T/usb/out/upload.json" | cut -c1-64)
[ "$(sed -n '/^Step 7 of 8/,/^Step 8 of 8/p' "$T/rep2" | grep -A2 'upload.json$' | sed -n '2,3p' | tr -d ' \n')" = "$up" ] || fail "upload.json SHA-256 under step 7"
grep -q 'files written to .*/usb/out:' "$T/rep2" || fail "files written"
grep -q "media: $T/usb$" "$T/rep2" || fail "media path"

sed 's/^confirm 8 Carol$//' "$T/c-dca" >"$T/c-fail"
rc=0
"$A" --pin-file "$T/pin" ceremony run "$S" --param user-id=u7 --param usb="$T/usb" \
	--param out="$T/usb/out2" --confirm-file "$T/c-fail" >"$T/run3" 2>&1 || rc=$?
[ $rc -eq 1 ] || { cat "$T/run3"; fail "failing ceremony exited $rc"; }
id3=$(sed -n 's/^  id \(ceremony-[0-9TZ]*-[0-9a-f]*\)$/\1/p' "$T/run3")
expect_fail 1 "ceremony $id3 was not sealed" "$A" ceremony report
cp "$T/.stdout" "$T/rep3"
grep -q '^  NOT SEALED' "$T/rep3" || fail "aborted ceremony not marked NOT SEALED"
grep -q '^  Aborted at step 5' "$T/rep3" || fail "abort step"
grep -q 'is taken' "$T/rep3" || fail "abort reason"
grep -q '^Step 5 of 8  run  (by the officer)  FAILED' "$T/rep3" || fail "failed step"
grep -q 'COMMAND FAILED' "$T/rep3" || fail "the command's failure"
grep -q 'Seal SHA-256' "$T/rep3" && fail "a seal in an unsealed transcript"
grep -q 'steps 6..8 of the script were not run' "$T/rep3" || fail "steps not run"

# --json: the same ceremony as data
rc=0
"$A" --json ceremony report >"$T/rep3.json" 2>/dev/null || rc=$?
[ $rc -eq 1 ] || fail "--json report of an unsealed ceremony exited $rc"
python3 - "$T/rep3.json" "$id3" <<'PY' || fail "--json report of the aborted ceremony"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["ceremony"] == sys.argv[2] and d["sealed"] is False and d.get("seal") is None, d
assert d["aborted"]["data"]["step"] == 5, d["aborted"]
assert [s["data"]["result"] for s in d["steps"]] == ["ok"] * 4 + ["failed"], d["steps"]
assert d["opened"]["data"]["interactive"] is False
assert d["journal"]["entries"] > 0 and len(d["journal"]["head"]) == 64
PY
"$A" --json ceremony report --ceremony "$id1" >"$T/rep1.json" || fail "--json report exited non-zero"
python3 - "$T/rep1.json" "$seal1" <<'PY' || fail "--json report of root init"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["sealed"] is True and d["seal"] == sys.argv[2], d.get("seal")
init = d["steps"][3]
assert init["data"]["command"] == "airca init --factory acme"
assert init["counts"]["key-generated"] == 2 and init["counts"]["cert-issued"] == 2, init["counts"]
assert [o["entry"]["data"]["label"] for o in init["outputs"] if o["event"] == "key-generated"] == ["airca-root", "airca-audit"]
PY

# 3. --ceremony picks an earlier one; an unknown id is not found
"$A" ceremony report --ceremony "$id1" >"$T/rep4" || fail "report --ceremony $id1"
[ "$(report_seal "$T/rep4")" = "$seal1" ] || fail "--ceremony: wrong seal"
expect_fail 1 "has no entry of ceremony ceremony-19990101T000000Z-00000000" \
	"$A" ceremony report --ceremony ceremony-19990101T000000Z-00000000

# 4. an auditor's copy elsewhere: journal, root.pem and audit.pem side by side
mkdir "$T/audit"
cp "$J" "$AIRCA_HOME/root.pem" "$AIRCA_HOME/audit.pem" "$T/audit/"
AIRCA_HOME=/nonexistent "$A" ceremony report --journal "$T/audit/journal.jsonl" --ceremony "$id2" >"$T/rep5" || fail "report of a copy"
[ "$(report_seal "$T/rep5")" = "$seal2" ] || fail "copy: wrong seal"

# 5. an unsigned tail (a non-interactive abort without a PIN source): exit 5, says why
sed 's/^confirm 2 Alice$/decline 2 Alice/' "$T/c-dca" >"$T/c-decl"
expect_fail 1 "step 2 declined by Alice" "$A" ceremony run "$S" --param user-id=u8 \
	--param usb="$T/usb" --param out="$T/usb/out3" --confirm-file "$T/c-decl"
grep -q 'the abort is not signed (no PIN source' "$T/.stdout" || fail "unsigned abort not explained"
expect_fail 5 "not signed yet.*'airca journal repair'.*adopts them" "$A" ceremony report
[ -s "$T/.stdout" ] && fail "a transcript from a journal that does not verify"
# nothing signs them by the way: a seal by another process refuses
expect_fail 1 "no signature covers and that this airca did not write" \
	"$A" --pin-file "$T/pin" journal seal
"$A" --pin-file "$T/pin" journal repair --adopt --yes >/dev/null 2>&1 || fail "journal repair --adopt"
expect_fail 1 "was not sealed" "$A" ceremony report
grep -q '^  Aborted at step 2 (cancelled' "$T/.stdout" || fail "declined ceremony after signing: $(grep Abort "$T/.stdout")"

# 6. a tampered journal: one changed byte in a participant's name
sed -i 's/"name":"Carol"/"name":"Carel"/; s/"name": "Carol"/"name": "Carel"/' "$T/audit/journal.jsonl"
cmp -s "$J" "$T/audit/journal.jsonl" && fail "tampering did not change the copy"
expect_fail 5 "does not verify, so no transcript is printed" "$A" ceremony report --journal "$T/audit/journal.jsonl"
[ -s "$T/.stdout" ] && fail "a transcript from a tampered journal"
echo ok
