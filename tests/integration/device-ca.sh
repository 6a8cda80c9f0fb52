#!/usr/bin/env bash
# airca device-ca create: key on the token, device-ca profile, signed by the root.
. "$(dirname "$0")/../lib.sh"

init_ca acme
H=$AIRCA_HOME
airca device-ca create --user-id 5f1e2d --label dca-line1 > "$T/out"
serial=$(sed -n 's/.*serial \([0-9a-f]*\).*/\1/p' "$T/out")
[ -n "$serial" ] || fail "no serial printed"
c=$H/certs/$serial.pem
[ -f "$c" ] || fail "certificate not in registry store"
openssl verify -CAfile "$H/root.pem" "$c" >/dev/null || fail "device CA does not chain to root"
openssl x509 -in "$c" -noout -subject -nameopt RFC2253,show_type | \
	grep -q 'subject=OU=UTF8STRING:acme,CN=UTF8STRING:fio-5f1e2d' || fail "device CA subject"
txt=$(cert_text "$c")
echo "$txt" | grep -A1 'Basic Constraints: critical' | grep -q 'CA:TRUE, pathlen:0' || fail "pathlen"
echo "$txt" | grep -A1 'Key Usage: critical' | grep -q 'Certificate Sign, CRL Sign$' || fail "ku"
echo "$txt" | grep -q 'Extended Key Usage' && fail "device CA must have no EKU"
ski_root=$(cert_text "$H/root.pem" | grep -A1 'Subject Key Identifier' | tail -1 | tr -d ' ')
echo "$txt" | grep -A1 'Authority Key Identifier' | tail -1 | tr -d ' ' | grep -q "$ski_root" || fail "AKI != root SKI"

# key on token, sensitive; cert stored with it
p11 --login --pin "$TEST_PIN" -O > "$T/objs"
grep -A3 'Private Key Object' "$T/objs" | grep -q 'label: *dca-line1' || fail "device CA key not on token"
grep -A3 'Certificate Object' "$T/objs" | grep -q 'label: *dca-line1' || fail "device CA cert not on token"

# registry and journal
grep -q "\"serial\":\"$serial\",\"profile\":\"device-ca\"" "$H/registry.jsonl" || fail "registry"
grep '"event":"cert-issued"' "$H/journal.jsonl" | grep -q "\"serial\":\"$serial\"" || fail "journal"
tail -1 "$H/journal.jsonl" | grep -q '"event":"checkpoint"' || fail "no final checkpoint"

# refusals: same label, bad user id, no user id
expect_fail 1 "label 'dca-line1' is taken" airca device-ca create --user-id other --label dca-line1
expect_fail 2 "user-id" airca device-ca create --user-id 'a/b'
expect_fail 2 "usage" airca device-ca create

# api device-cas: the ca-crt upload lists it
airca api device-cas --out "$T/up" >/dev/null
grep -q '"ca-crt"' "$T/up/upload.json" || fail "upload.json lacks ca-crt"
(cd "$T/up" && sha256sum -c --quiet SHA256SUMS) || fail "SHA256SUMS"
openssl x509 -in "$T/up/device-cas.pem" -noout -serial | grep -qi "$serial" || fail "device-cas.pem"
expect_fail 1 "exists" airca api device-cas --out "$T/up"
echo "device-ca ok"
