#!/usr/bin/env bash
# airca api sign: the factory API's CSR response signed all-or-nothing; upload bundle.
. "$(dirname "$0")/../lib.sh"

init_ca acme
H=$AIRCA_HOME
make_csr tls "/CN=ota-lite.acme.example/OU=acme" "DNS:ota-lite.acme.example,DNS:ota.acme.example"
make_csr ca "/CN=online-ca/OU=acme"
make_csr est "/CN=est.acme.example/OU=acme" "DNS:est.acme.example"
api_response "$T/resp.json" tls="$T/tls.csr" ca="$T/ca.csr" est="$T/est.csr"

airca device-ca create --user-id owner1 >/dev/null
airca api sign --in "$T/resp.json" --out "$T/out" > "$T/log"
O=$T/out
for f in root.pem tls.pem online-ca.pem est-tls.pem device-cas.pem upload.json SHA256SUMS; do
	[ -f "$O/$f" ] || fail "$f missing"
done
(cd "$O" && sha256sum -c --quiet SHA256SUMS) || fail "SHA256SUMS does not check"
for f in tls online-ca est-tls; do
	openssl verify -CAfile "$O/root.pem" "$O/$f.pem" >/dev/null || fail "$f does not chain"
done
cmp -s "$O/root.pem" "$H/root.pem" || fail "root.pem differs from the home's"

# tls: SAN DNS names from the CSR, serverAuth, CA:FALSE
t=$(cert_text "$O/tls.pem")
echo "$t" | grep -q 'DNS:ota-lite.acme.example, DNS:ota.acme.example' || fail "tls SAN"
echo "$t" | grep -A1 'Extended Key Usage' | grep -q 'TLS Web Server Authentication$' || fail "tls EKU"
echo "$t" | grep -A1 'Basic Constraints: critical' | grep -q 'CA:FALSE' || fail "tls bc"
echo "$t" | grep -A1 'Key Usage: critical' | grep -q 'Digital Signature$' || fail "tls ku"
# est-tls: exactly one DNS name
cert_text "$O/est-tls.pem" | grep -q 'DNS:est.acme.example$' || fail "est SAN"
# online-ca: CA:TRUE pathlen 0, keyCertSign only, no EKU, OU = factory
o=$(cert_text "$O/online-ca.pem")
echo "$o" | grep -A1 'Basic Constraints: critical' | grep -q 'CA:TRUE, pathlen:0' || fail "online-ca bc"
echo "$o" | grep -A1 'Key Usage: critical' | grep -q 'Certificate Sign$' || fail "online-ca ku"
openssl x509 -in "$O/online-ca.pem" -noout -subject -nameopt RFC2253 | grep -q 'subject=OU=acme,CN=online-ca' || fail "online-ca subject"

# upload.json: the PATCH body fields
for k in root-crt tls-crt ca-crt est-tls-crt; do
	grep -q "\"$k\"" "$O/upload.json" || fail "upload.json lacks $k"
done
json_get "$O/upload.json" tls-crt > "$T/tls-from-json.pem"
cmp -s "$T/tls-from-json.pem" "$O/tls.pem" || fail "tls-crt != tls.pem"
# ca-crt: online CA and the local device CA
n=$(grep -c 'BEGIN CERTIFICATE' "$O/device-cas.pem")
[ "$n" -eq 2 ] || fail "device-cas.pem has $n certificates, want 2"

# existing outputs are never overwritten
expect_fail 1 "exists" airca api sign --in "$T/resp.json" --out "$O"

# all or nothing: a bad est-tls-csr (two DNS names) => nothing signed
make_csr est2 "/CN=est.acme.example/OU=acme" "DNS:a.acme.example,DNS:b.acme.example"
api_response "$T/bad.json" tls="$T/tls.csr" ca="$T/ca.csr" est="$T/est2.csr"
nreg=$(wc -l < "$H/registry.jsonl")
expect_fail 1 "nothing signed.*est-tls-csr.*exactly one" airca api sign --in "$T/bad.json" --out "$T/out2"
[ -e "$T/out2/upload.json" ] && fail "upload.json written for a refused response"
[ "$(wc -l < "$H/registry.jsonl")" -eq "$nreg" ] || fail "registry changed by a refused response"
grep -q '"event":"csr-rejected"' "$H/journal.jsonl" || fail "rejection not journaled"

# wrong OU on the online CA: refused with the attribute and the rule
make_csr ca3 "/CN=online-ca/OU=evil"
api_response "$T/bad3.json" ca="$T/ca3.csr"
expect_fail 1 "OU" airca api sign --in "$T/bad3.json" --out "$T/out3"

# not JSON, not a response
echo 'garbage' > "$T/g.json"
expect_fail 1 "not valid JSON" airca api sign --in "$T/g.json" --out "$T/out4"
echo '{"create_ca": "#!/bin/sh"}' > "$T/e.json"
expect_fail 1 "none of tls-csr" airca api sign --in "$T/e.json" --out "$T/out4"
echo '{"foo": 1}' > "$T/e.json"
expect_fail 1 'unknown key "foo"' airca api sign --in "$T/e.json" --out "$T/out4"

# TLS rotation: only tls-csr => upload.json with just tls-crt, old one superseded
old=$(openssl x509 -in "$O/tls.pem" -noout -serial | cut -d= -f2 | tr A-F a-f)
make_csr tls2 "/CN=ota-lite.acme.example/OU=acme" "DNS:ota-lite.acme.example"
api_response "$T/rot.json" tls="$T/tls2.csr"
airca api sign --in "$T/rot.json" --out "$T/rot" >/dev/null
grep -q '"tls-crt"' "$T/rot/upload.json" || fail "rotation upload lacks tls-crt"
grep -qE '"(root-crt|ca-crt|est-tls-crt)"' "$T/rot/upload.json" && fail "rotation upload has other fields"
grep "\"serial\":\"$old\"" "$H/registry.jsonl" | grep -q '"status":"superseded"' || fail "old TLS not superseded"
echo "api-sign ok"
