#!/usr/bin/env bash
# Intermediate CAs on the token (issue 16): 'airca ca create' makes a CA of
# a user profile of kind intermediate-ca, its key generated on the token and
# checked as a device CA's; a profile with 'issuer = LABEL' signs under it;
# the chain root -> intermediate -> device verifies; list and export --chain
# show it; a revoked device certificate is on the intermediate's CRL, and
# the revoked intermediate on the root's, after which it signs nothing.
. "$(dirname "$0")/../lib.sh"

init_ca acme
H=$AIRCA_HOME
J=$H/journal.jsonl
cat >>"$H/policy.conf" <<'POL'

[profile mc-int]
kind = intermediate-ca
days = 3650
CN = supplied, pattern=^Acme [A-Za-z ]+ CA$
O = fixed=Acme

[profile mc-dev]
kind = client
issuer = mcint1
days = 730
CN = supplied
O = match
POL

expect_fail 2 "'ca create' takes a profile of kind intermediate-ca" \
	airca ca create --profile mc-dev --label x1
expect_fail 1 "CN 'bad name' does not match pattern" airca ca create --profile mc-int --label x2 --cn "bad name"
p11 --list-objects --type privkey | grep -q 'label: *x2' && fail "a refused subject left a key on the token"
airca ca create --profile mc-int --label mcint1 --cn "Acme Devices CA" >"$T/out" 2>"$T/err" ||
	{ cat "$T/err"; fail "ca create"; }
grep -q "intermediate CA 'mcint1' (profile mc-int, CN=Acme Devices CA)" "$T/out" || { cat "$T/out"; fail "ca create output"; }
expect_fail 1 "label 'mcint1' is taken" airca ca create --profile mc-int --label mcint1 --cn "Acme Other CA"
# the key: generated on the token, sensitive, never extractable (journaled as read back)
kg=$(grep '"event":"key-generated"' "$J" | grep '"label":"mcint1"') || fail "no key-generated for mcint1"
echo "$kg" | grep -q '"sensitive":true,"extractable":false,"local":true,"always-sensitive":true,"never-extractable":true' ||
	fail "the intermediate's key attributes"
int=$(sed -n 's/.*"serial":"\([0-9a-f]*\)","profile":"mc-int".*/\1/p' "$H/registry.jsonl" | head -1)
[ -n "$int" ] || int=$(grep '"profile":"mc-int"' "$H/registry.jsonl" | sed 's/.*"serial":"\([0-9a-f]*\)".*/\1/' | head -1)
[ -n "$int" ] || fail "intermediate not in the registry"
cp "$H/certs/$int.pem" "$T/int.pem"
t=$(cert_text "$T/int.pem")
echo "$t" | grep -A1 'Basic Constraints: critical' | grep -q 'CA:TRUE, pathlen:0' || fail "intermediate bc"
echo "$t" | grep -A1 'Key Usage: critical' | grep -q 'Certificate Sign, CRL Sign' || fail "intermediate ku"
openssl x509 -in "$T/int.pem" -noout -subject -nameopt RFC2253 | grep -qx 'subject=O=Acme,CN=Acme Devices CA' || fail "intermediate subject"
openssl verify -CAfile "$H/root.pem" "$T/int.pem" >/dev/null || fail "intermediate verify"
airca list >"$T/list" 2>/dev/null
grep -q 'mc-int' "$T/list" && grep -q 'mcint1' "$T/list" || { cat "$T/list"; fail "list lacks the intermediate"; }

# device certificates under it: root -> intermediate -> device
make_csr d1 "/CN=device-1/O=Acme"
make_csr d2 "/CN=device-2"
airca sign --profile mc-dev --in "$T/d1.csr" --out "$T/d1.pem" >/dev/null 2>&1 || fail "sign under the intermediate"
airca sign --profile mc-dev --in "$T/d2.csr" --out "$T/d2.pem" >/dev/null 2>&1 || fail "sign d2"
openssl x509 -in "$T/d1.pem" -noout -issuer -nameopt RFC2253 | grep -qx 'issuer=O=Acme,CN=Acme Devices CA' || fail "d1 issuer"
openssl verify -CAfile "$H/root.pem" -untrusted "$T/int.pem" "$T/d1.pem" >/dev/null || fail "chain root -> intermediate -> device"
openssl verify -CAfile "$H/root.pem" "$T/d1.pem" >/dev/null 2>&1 && fail "a device verified without its intermediate"
s1=$(openssl x509 -in "$T/d1.pem" -noout -serial | cut -d= -f2 | tr A-F a-f)
s2=$(openssl x509 -in "$T/d2.pem" -noout -serial | cut -d= -f2 | tr A-F a-f)
airca_nopin export --serial "$s1" --chain >"$T/chain.pem" 2>/dev/null || fail "export --chain"
[ "$(grep -c 'BEGIN CERTIFICATE' "$T/chain.pem")" -ge 2 ] || fail "export --chain: leaf and intermediate"
openssl crl2pkcs7 -nocrl -certfile "$T/chain.pem" | openssl pkcs7 -print_certs -noout | grep -q 'subject=CN = Acme Devices CA, O = Acme' ||
	fail "the chain lacks the intermediate"
awk '/BEGIN/{n++} n>=2' "$T/chain.pem" >"$T/untrusted.pem"
openssl verify -CAfile "$H/root.pem" -untrusted "$T/untrusted.pem" "$T/chain.pem" >/dev/null || fail "the exported chain verifies"
certtool --verify --load-ca-certificate "$H/root.pem" --infile "$T/chain.pem" >"$T/g" 2>&1 && grep -q 'Verified' "$T/g" || { cat "$T/g"; fail "GnuTLS chain"; }

# revocation: the device on the intermediate's CRL
airca revoke --serial "$s1" >/dev/null 2>&1 || fail "revoke a device of the intermediate"
airca crl --ca mcint1 --out "$T/int.crl" >/dev/null 2>&1 || fail "crl of the intermediate"
openssl crl -in "$T/int.crl" -noout -text >"$T/crl.txt"
grep -q "Issuer: CN = Acme Devices CA, O = Acme" "$T/crl.txt" || { cat "$T/crl.txt"; fail "CRL issuer"; }
grep -qi "Serial Number: $s1" "$T/crl.txt" || { cat "$T/crl.txt"; fail "revoked device not on the intermediate's CRL"; }
grep -qi "Serial Number: $s2" "$T/crl.txt" && fail "a valid device on the CRL"
openssl crl -in "$T/int.crl" -noout -verify -CAfile "$T/int.pem" 2>&1 | grep -q 'verify OK' || fail "CRL signed by the intermediate"
cat "$H/root.pem" "$T/int.pem" >"$T/cas.pem"
airca crl --ca airca-root --out "$T/root.crl" >/dev/null 2>&1 || fail "root crl"
cat "$T/root.crl" "$T/int.crl" >"$T/crls.pem"
openssl verify -crl_check_all -CAfile "$T/cas.pem" -CRLfile "$T/crls.pem" "$T/d1.pem" >"$T/v" 2>&1 && fail "a revoked device verifies with the CRLs"
grep -q 'certificate revoked' "$T/v" || { cat "$T/v"; fail "revocation reason"; }
openssl verify -crl_check_all -CAfile "$T/cas.pem" -CRLfile "$T/crls.pem" "$T/d2.pem" >/dev/null || fail "a valid device fails with the CRLs"

# the intermediate revoked: on the root's CRL, and it signs nothing more
airca revoke --serial "$int" --reason keyCompromise >/dev/null 2>&1 || fail "revoke the intermediate"
rm -f "$T/root.crl"
airca crl --ca airca-root --out "$T/root.crl" >/dev/null 2>&1 || fail "root crl"
openssl crl -in "$T/root.crl" -noout -text | grep -qi "Serial Number: $int" || fail "the revoked intermediate is not on the root's CRL"
make_csr d3 "/CN=device-3"
expect_fail 1 "CA 'mcint1' \(serial $int\), the issuer of profile mc-dev, is revoked: it signs nothing" \
	airca sign --profile mc-dev --in "$T/d3.csr" --out "$T/d3.pem"
airca_nopin journal verify >/dev/null || fail "journal does not verify"
echo "templates-intermediate ok"
