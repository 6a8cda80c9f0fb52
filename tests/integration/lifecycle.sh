#!/usr/bin/env bash
# airca device-ca revoke|disable|enable, crl, revoke: registry states, CRL
# reasons and numbers, chain verification with openssl, refusals that change nothing.
. "$(dirname "$0")/../lib.sh"

init_ca acme
H=$AIRCA_HOME
openssl x509 -in "$H/root.pem" -out "$T/root.pem"
root=$(openssl x509 -in "$H/root.pem" -noout -serial | cut -d= -f2 | tr A-F a-f)

dca() {	# dca UID LABEL: create a device CA, print its serial
	airca device-ca create --user-id "$1" --label "$2" | sed -n 's/.*serial \([0-9a-f]*\)$/\1/p'
}
d1=$(dca u1 dca1); d2=$(dca u2 dca2); d3=$(dca u3 dca3)
[ -n "$d1" ] && [ -n "$d2" ] && [ -n "$d3" ] || fail "device CA serials"

device() {	# device NAME UUID CA: sign a device CSR, print its serial
	make_csr "$1" "/CN=$2/OU=acme"
	airca sign --profile device --ca "$3" --in "$T/$1.csr" --out "$T/$1.pem" >/dev/null
	openssl x509 -in "$T/$1.pem" -noout -serial | cut -d= -f2 | tr A-F a-f
}
dev1=$(device dev1 0b5e4a3c-1111-2222-3333-444455556666 dca1)
dev2=$(device dev2 0b5e4a3c-1111-2222-3333-777788889999 dca1)

# The registry's entries, without its cache header: a refused command is
# journaled (and checkpointed), which moves the header's journal-seq.
reg_entries() { tail -n +2 "$1"; }
status_of() { grep "\"serial\":\"$1\"" "$H/registry.jsonl" | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p'; }
crlnum() { echo $((16#$(openssl crl -in "$1" -noout -crlnumber | sed 's/crlNumber=0x//'))); }
crl_text() { openssl crl -in "$1" -noout -text; }
# the reason openssl prints for serial $2 in CRL $1
reason_in() { crl_text "$1" | awk -v s="$2" '/Serial Number:/ { on = (tolower($3) == s) } on && r { gsub(/^ +| +$/, ""); print; exit } on { r = /CRL Reason Code/ }'; }

# ---- bad inputs change nothing ----
# (the header line names the journal head, which a refused command moves:
# its failure is journaled; the certificates are what must not change)
cp "$H/registry.jsonl" "$T/reg.before"
nj=$(grep -c '"event":"crl-issued"' "$H/journal.jsonl" || true)
expect_fail 2 "not hex" airca device-ca revoke --serial "zz${d1}" --out "$T/bad"
expect_fail 2 "even number" airca device-ca revoke --serial abc --out "$T/bad"
expect_fail 2 "named twice" airca device-ca disable --serial "$d1" "$d1" --out "$T/bad"
expect_fail 2 "usage" airca device-ca revoke --out "$T/bad"
expect_fail 1 "no certificate of this home" airca device-ca revoke --serial 0102030405 --out "$T/bad"
expect_fail 1 "device CA serials only" airca device-ca revoke --serial "$dev1" --out "$T/bad"
expect_fail 1 "is the root" airca device-ca revoke --serial "$root" --out "$T/bad"
expect_fail 1 "device CA serials only" airca device-ca disable --serial "$d2" "$dev1" --out "$T/bad"
cmp -s <(reg_entries "$T/reg.before") <(reg_entries "$H/registry.jsonl") || fail "a refused command changed the registry"
[ "$(grep -c '"event":"crl-issued"' "$H/journal.jsonl" || true)" -eq "$nj" ] || fail "a refused command issued a CRL"
[ -e "$T/bad/upload.json" ] && fail "upload.json written by a refused command"
[ -d "$H/crl" ] && fail "a refused command wrote CRL state"

# ---- disable, enable, revoke ----
airca device-ca disable --serial "$d1" --out "$T/o1" >/dev/null
C=$T/o1/ca-revoke.crl.pem
(cd "$T/o1" && sha256sum -c --quiet SHA256SUMS) || fail "SHA256SUMS"
openssl crl -in "$C" -noout -verify -CAfile "$T/root.pem" 2>&1 | grep -q 'verify OK' || fail "CRL does not verify with the root"
[ "$(crlnum "$C")" -eq 1 ] || fail "first CRL number $(crlnum "$C")"
[ "$(reason_in "$C" "$d1")" = "Certificate Hold" ] || fail "disable: reason $(reason_in "$C" "$d1")"
crl_text "$C" | grep -q 'Version 2' || fail "not a v2 CRL"
crl_text "$C" | grep -q 'Next Update' || fail "no nextUpdate"
ski_root=$(cert_text "$T/root.pem" | grep -A1 'Subject Key Identifier' | tail -1 | tr -d ' ')
crl_text "$C" | grep -A1 'Authority Key Identifier' | tail -1 | tr -d ' ' | grep -q "$ski_root" || fail "CRL AKI != root SKI"
json_get "$T/o1/upload.json" ca-revoke-crl | sed "/^$/d" > "$T/from-json.pem"
cmp -s "$T/from-json.pem" "$C" || fail "upload.json ca-revoke-crl != ca-revoke.crl.pem"
[ "$(status_of "$d1")" = hold ] || fail "d1 not on hold: $(status_of "$d1")"
# nextUpdate = thisUpdate + 15 minutes (policy default)
lu=$(date -d "$(openssl crl -in "$C" -noout -lastupdate | cut -d= -f2)" +%s)
nu=$(date -d "$(openssl crl -in "$C" -noout -nextupdate | cut -d= -f2)" +%s)
[ $((nu - lu)) -eq 900 ] || fail "nextUpdate - thisUpdate = $((nu - lu))s, want 900"

airca device-ca enable --serial "$d1" --out "$T/o2" >/dev/null
[ "$(crlnum "$T/o2/ca-revoke.crl.pem")" -eq 2 ] || fail "CRL number after enable"
[ "$(reason_in "$T/o2/ca-revoke.crl.pem" "$d1")" = "Remove From CRL" ] || fail "enable: reason"
[ "$(status_of "$d1")" = valid ] || fail "d1 not valid after enable"

# a serial as openssl prints it (upper case, colons) works too
d2c=$(echo "$d2" | tr a-f A-F | sed 's/../&:/g; s/:$//')
airca device-ca revoke --serial "$d2c" --out "$T/o3" >/dev/null
[ "$(crlnum "$T/o3/ca-revoke.crl.pem")" -eq 3 ] || fail "CRL number after revoke"
[ "$(reason_in "$T/o3/ca-revoke.crl.pem" "$d2")" = "Privilege Withdrawn" ] || fail "revoke: reason"
[ "$(status_of "$d2")" = revoked ] || fail "d2 not revoked"
grep "\"serial\":\"$d2\"" "$H/registry.jsonl" | grep -q '"reason":9' || fail "registry reason 9"

airca device-ca disable --serial "$d3" --out "$T/o4" >/dev/null
[ "$(crlnum "$T/o4/ca-revoke.crl.pem")" -eq 4 ] || fail "CRL number after second disable"

# a revoked CA stays revoked; refusals change nothing
cp "$H/registry.jsonl" "$T/reg.before"
expect_fail 1 "refused by policy: device CA $d2 \(.*\) is revoked: revocation is final and it cannot be enabled" \
	airca device-ca enable --serial "$d2" --out "$T/bad"
airca device-ca enable --serial "$d2" --out "$T/bad" 2>&1 | grep -q "malformed input" &&
	fail "enabling a revoked device CA says 'malformed input'"
expect_fail 1 "revocation is final" airca device-ca disable --serial "$d2" --out "$T/bad"
expect_fail 1 "revocation is final" airca device-ca enable --serial "$d3" "$d2" --out "$T/bad"
cmp -s <(reg_entries "$T/reg.before") <(reg_entries "$H/registry.jsonl") || fail "a refused enable changed the registry"
[ "$(status_of "$d3")" = hold ] || fail "d3 left hold"
expect_fail 1 "exists" airca device-ca disable --serial "$d1" --out "$T/o1"
cmp -s <(reg_entries "$T/reg.before") <(reg_entries "$H/registry.jsonl") || fail "an existing output changed the registry"

# ---- the ca-crt upload: revoked out, held in ----
airca api device-cas --out "$T/up1" >/dev/null
grep -c 'BEGIN CERTIFICATE' "$T/up1/device-cas.pem" | grep -qx 2 || fail "ca-crt should list dca1 and dca3"
sers=$(openssl crl2pkcs7 -nocrl -certfile "$T/up1/device-cas.pem" | openssl pkcs7 -print_certs -noout -text | \
	grep -A1 "Serial Number:" | grep -v -e "Serial Number:" -e "^--" | tr -d " :" | tr A-F a-f)
echo "$sers" | grep -q "$d1" || fail "ca-crt lacks dca1"
echo "$sers" | grep -q "$d3" || fail "ca-crt lacks the held dca3"
echo "$sers" | grep -q "$d2" && fail "ca-crt lists the revoked dca2"

# ---- full CRLs and chain verification ----
airca export --serial "$d1" --out "$T/dca1.pem"
airca crl --ca dca1 --out "$T/dca1-0.crl" >/dev/null
airca crl --ca airca-root --out "$T/root-5.crl" >/dev/null
[ "$(crlnum "$T/root-5.crl")" -eq 5 ] || fail "root's full CRL continues the numbers"
[ "$(crlnum "$T/dca1-0.crl")" -eq 1 ] || fail "dca1 counts on its own"
[ "$(reason_in "$T/root-5.crl" "$d2")" = "Privilege Withdrawn" ] || fail "full CRL lacks revoked dca2"
[ "$(reason_in "$T/root-5.crl" "$d3")" = "Certificate Hold" ] || fail "full CRL lacks held dca3"
reason_in "$T/root-5.crl" "$d1" | grep -q . && fail "full CRL lists the enabled dca1"
openssl crl -in "$T/dca1-0.crl" -noout -verify -CAfile "$T/dca1.pem" 2>&1 | grep -q 'verify OK' || fail "dca1 CRL"
cat "$T/root-5.crl" "$T/dca1-0.crl" > "$T/crls.pem"
openssl verify -crl_check_all -CAfile "$T/root.pem" -CRLfile "$T/crls.pem" -untrusted "$T/dca1.pem" "$T/dev1.pem" \
	>/dev/null 2>&1 || fail "dev1 should verify before anything is revoked"

# a leaf revoked: only that device fails
expect_fail 1 "device CAs" airca revoke --serial "$d1"
expect_fail 2 "reason" airca revoke --serial "$dev2" --reason nonsense
airca revoke --serial "$dev2" --reason keyCompromise >/dev/null
[ "$(status_of "$dev2")" = revoked ] || fail "dev2 not revoked"
expect_fail 1 "already revoked" airca revoke --serial "$dev2"
airca crl --ca dca1 --out "$T/dca1-1.crl" >/dev/null
[ "$(crlnum "$T/dca1-1.crl")" -eq 2 ] || fail "dca1 CRL number 2"
[ "$(reason_in "$T/dca1-1.crl" "$dev2")" = "Key Compromise" ] || fail "dca1 CRL lacks dev2"
cat "$T/root-5.crl" "$T/dca1-1.crl" > "$T/crls.pem"
openssl verify -crl_check_all -CAfile "$T/root.pem" -CRLfile "$T/crls.pem" -untrusted "$T/dca1.pem" "$T/dev1.pem" \
	>/dev/null 2>&1 || fail "dev1 should still verify"
openssl verify -crl_check_all -CAfile "$T/root.pem" -CRLfile "$T/crls.pem" -untrusted "$T/dca1.pem" "$T/dev2.pem" \
	> "$T/v" 2>&1 && fail "revoked dev2 verified"
grep -q 'certificate revoked' "$T/v" || fail "dev2: $(cat "$T/v")"

# the device CA revoked: its devices fail against the root's CRL
airca device-ca revoke --serial "$d1" --out "$T/o6" >/dev/null
[ "$(crlnum "$T/o6/ca-revoke.crl.pem")" -eq 6 ] || fail "CRL number 6"
[ "$(status_of "$d1")" = revoked ] || fail "d1 not revoked"
cat "$T/o6/ca-revoke.crl.pem" "$T/dca1-1.crl" > "$T/crls.pem"
openssl verify -crl_check_all -CAfile "$T/root.pem" -CRLfile "$T/crls.pem" -untrusted "$T/dca1.pem" "$T/dev1.pem" \
	> "$T/v" 2>&1 && fail "dev1 under a revoked device CA verified"
grep -q 'certificate revoked' "$T/v" || fail "dev1: $(cat "$T/v")"
airca crl --ca airca-root --out "$T/root-7.crl" >/dev/null
[ "$(reason_in "$T/root-7.crl" "$d1")" = "Privilege Withdrawn" ] || fail "full CRL lacks dca1"
# revoking again lists it again, unchanged (a lost upload can be redone)
airca device-ca revoke --serial "$d1" --out "$T/o8" > "$T/log"
grep -q 'already' "$T/log" || fail "re-revoke not reported as unchanged"
[ "$(crlnum "$T/o8/ca-revoke.crl.pem")" -eq 8 ] || fail "CRL number 8"
airca api device-cas --out "$T/up2" >/dev/null
[ "$(grep -c 'BEGIN CERTIFICATE' "$T/up2/device-cas.pem")" -eq 1 ] || fail "ca-crt should hold dca3 only"

# ---- CRL numbers never go backwards, even without the state file ----
rm -f "$H/crl/$root.number"
airca crl --ca airca-root --out "$T/root-9.crl" >/dev/null
[ "$(crlnum "$T/root-9.crl")" -eq 9 ] || fail "lost state file: number $(crlnum "$T/root-9.crl"), want 9"
[ "$(cat "$H/crl/$root.number")" = 9 ] || fail "state file not rewritten"
echo 3 > "$H/crl/$root.number"
airca crl --ca airca-root --out "$T/root-10.crl" >/dev/null
[ "$(crlnum "$T/root-10.crl")" -eq 10 ] || fail "stale state file: number went back"
echo garbage > "$H/crl/$root.number"
expect_fail 1 "does not hold a CRL number" airca crl --ca airca-root --out "$T/root-x.crl"
echo 10 > "$H/crl/$root.number"
expect_fail 1 "no CA labelled" airca crl --ca nosuch --out "$T/x.crl"

# journaled: every CRL with its number, every status change
[ "$(grep -c '"event":"crl-issued"' "$H/journal.jsonl")" -eq 12 ] || fail "crl-issued entries"
grep '"event":"cert-status"' "$H/journal.jsonl" | grep -q "\"serial\":\"$d2\",\"status\":\"revoked\",\"reason\":9" || fail "cert-status d2"
tail -1 "$H/journal.jsonl" | grep -q '"event":"checkpoint"' || fail "no final checkpoint"
echo "lifecycle ok"
