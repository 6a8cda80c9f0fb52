#!/usr/bin/env bash
# airca init: root and audit keys generated on the token, profiles, once only.
. "$(dirname "$0")/../lib.sh"

make_token
airca init --factory acme > "$T/out"
grep -q "factory root initialised for 'acme'" "$T/out" || fail "init output"

H=$AIRCA_HOME
for f in airca.json policy.conf root.pem audit.pem journal.jsonl registry.jsonl; do
	[ -f "$H/$f" ] || fail "$f missing"
done

# root profile: self-signed, subject UTF8 CN before OU, extensions, serial
txt=$(cert_text "$H/root.pem")
openssl x509 -in "$H/root.pem" -noout -subject -nameopt RFC2253,show_type | \
	grep -q 'subject=OU=UTF8STRING:acme,CN=UTF8STRING:Factory-CA' || fail "root subject/encoding"
echo "$txt" | grep -A1 'Basic Constraints: critical' | grep -q 'CA:TRUE$' || fail "root basicConstraints"
echo "$txt" | grep -A1 'Key Usage: critical' | grep -q 'Certificate Sign, CRL Sign$' || fail "root keyUsage"
echo "$txt" | grep -A1 'Extended Key Usage' | grep -q 'TLS Web Server Authentication, TLS Web Client Authentication' || fail "root EKU"
echo "$txt" | grep -q 'ecdsa-with-SHA256' || fail "root signature alg"
echo "$txt" | grep -q 'ASN1 OID: prime256v1' || fail "root key not P-256"
ski=$(echo "$txt" | grep -A1 'Subject Key Identifier' | tail -1 | tr -d ' ')
aki=$(echo "$txt" | grep -A1 'Authority Key Identifier' | tail -1 | tr -d ' ' | sed 's/^keyid://')
[ -n "$ski" ] && [ "$ski" = "$aki" ] || fail "root SKI/AKI ($ski / $aki)"
serial=$(openssl x509 -in "$H/root.pem" -noout -serial | cut -d= -f2)
[ ${#serial} -eq 32 ] || fail "root serial not 16 bytes: $serial"
days=$(( ($(date -d "$(openssl x509 -in "$H/root.pem" -noout -enddate | cut -d= -f2)" +%s) - $(date +%s)) / 86400 ))
[ "$days" -ge 7299 ] && [ "$days" -le 7300 ] || fail "root validity $days days"
openssl verify -CAfile "$H/root.pem" "$H/root.pem" >/dev/null || fail "root does not verify"

# audit certificate
openssl verify -CAfile "$H/root.pem" "$H/audit.pem" >/dev/null || fail "audit does not chain"
atxt=$(cert_text "$H/audit.pem")
openssl x509 -in "$H/audit.pem" -noout -subject -nameopt RFC2253 | grep -q 'subject=OU=acme,CN=airca audit' || fail "audit subject"
echo "$atxt" | grep -A1 'Basic Constraints: critical' | grep -q 'CA:FALSE' || fail "audit bc"
echo "$atxt" | grep -A1 'Key Usage: critical' | grep -q 'Digital Signature$' || fail "audit ku"

# keys on the token: sensitive, never extractable, local, private; certificates stored
objs=$(p11 --login --pin "$TEST_PIN" -O)
for l in airca-root airca-audit; do
	echo "$objs" | awk -v l="$l" '/Object;/{blk=$0; next} {blk=blk"\n"$0} /label:/ && $0 ~ l {print blk}' > /dev/null
done
nkeys=$(echo "$objs" | grep -c 'Private Key Object')
[ "$nkeys" -eq 2 ] || fail "want 2 private keys on token, got $nkeys"
echo "$objs" | grep -A6 'Private Key Object' | grep 'Access:' | while read -r line; do
	echo "$line" | grep -q 'sensitive, always sensitive, never extractable, local' || fail "key access: $line"
done
[ "$(echo "$objs" | grep -c 'Certificate Object')" -eq 2 ] || fail "certificates not stored on token"

# nothing secret in the home
grep -rq "$TEST_PIN" "$H" && fail "PIN found in home"
grep -rq "PRIVATE KEY" "$H" && fail "private key in home"

# journal: genesis, key-generated x2 with attributes, cert-issued x2, checkpoint last
j=$H/journal.jsonl
head -1 "$j" | grep -q '"event":"journal-open"' || fail "journal genesis"
head -1 "$j" | grep -q '"format":"airca-journal","version":2' || fail "journal magic"
# the root pins the audit certificate right after it is made
pin=$(grep '"event":"audit-pin"' "$j")
[ "$(printf '%s\n' "$pin" | wc -l)" -eq 1 ] || fail "one audit-pin"
afp=$(openssl x509 -in "$H/audit.pem" -outform DER | sha256sum | cut -c1-64)
rfp=$(openssl x509 -in "$H/root.pem" -outform DER | sha256sum | cut -c1-64)
printf '%s' "$pin" | grep -q "\"audit-cert\":\"$afp\"" || fail "the pin names audit.pem"
printf '%s' "$pin" | grep -q "\"root-cert\":\"$rfp\"" || fail "the pin names root.pem"
# the audit certificate carries documentSigning (RFC 9336), and only it
openssl x509 -in "$H/audit.pem" -noout -ext extendedKeyUsage | grep -Eq '1\.3\.6\.1\.5\.5\.7\.3\.36|Document Signing' ||
	fail "audit certificate lacks documentSigning"
openssl x509 -in "$H/root.pem" -noout -ext extendedKeyUsage | grep -Eq '1\.3\.6\.1\.5\.5\.7\.3\.36|Document Signing' &&
	fail "the root carries documentSigning"
[ "$(grep -c '"event":"key-generated"' "$j")" -eq 2 ] || fail "key-generated entries"
grep '"event":"key-generated"' "$j" | grep -q '"sensitive":true,"extractable":false,"local":true,"always-sensitive":true,"never-extractable":true' || fail "key attrs not journaled"
[ "$(grep -c '"event":"cert-issued"' "$j")" -eq 2 ] || fail "cert-issued entries"
tail -1 "$j" | grep -q '"event":"checkpoint"' || fail "journal does not end on a checkpoint"

# once only: same home refused, token untouched
before=$(p11 --login --pin "$TEST_PIN" -O | sha256sum)
expect_fail 1 "already holds a root" airca init --factory acme
# another home on the same token: refused before touching the token
expect_fail 1 "already holds a root" airca --home "$T/home2" init --factory other
after=$(p11 --login --pin "$TEST_PIN" -O | sha256sum)
[ "$before" = "$after" ] || fail "token changed by a refused init"
[ -e "$T/home2/airca.json" ] && fail "refused init left a state file"

# bad factory names, bad key type, wrong PIN
make_token other
expect_fail 2 "usage" airca --home "$T/h3" init --factory acme --key dsa-1024
export WRONG=0000; expect_fail 4 "PIN" "$AIRCA_BIN" --pin-env WRONG --home "$T/h4" init --factory acme
# a key type the profile's token cannot generate: refused before the PIN
# and before the home is made, naming the token and the profile's line
mkdir -p "$T/prof"
sed 's/^generate = .*/generate = ec-p384, rsa-3072/' "$TOP/hsm-profiles/softhsm2.conf" > "$T/prof/p384.conf"
gl=$(grep -n '^generate' "$T/prof/p384.conf" | cut -d: -f1)
expect_fail 2 "^airca init: usage error: token 'airca' \(HSM profile 'SoftHSMv2'\) cannot generate ec-p256 keys: $T/prof/p384.conf:$gl lists only ec-p384, rsa-3072; use --key with one of those\$" \
	airca_nopin --hsm "$T/prof/p384.conf" --home "$T/h5" init --factory acme
[ -e "$T/h5" ] && fail "a refused key type made the home"
grep -Eq 'PIN|pin' "$T/.stderr" && fail "a refused key type asked for the PIN"
expect_fail 2 "cannot generate rsa-4096 keys: .*p384.conf:$gl lists only ec-p384, rsa-3072" \
	airca --hsm "$T/prof/p384.conf" --home "$T/h5" init --factory acme --key rsa-4096
# no generate line: ec-p256 only, and the message says so
grep -v '^generate' "$TOP/hsm-profiles/softhsm2.conf" > "$T/prof/nogen.conf"
expect_fail 2 "cannot generate ec-p384 keys: $T/prof/nogen.conf has no \[keys\] generate line, which means ec-p256 only" \
	airca --hsm "$T/prof/nogen.conf" --home "$T/h5" init --factory acme --key ec-p384
# a home whose key type the profile stopped listing: no new device CA key
expect_fail 2 "token 'airca' \(HSM profile 'SoftHSMv2'\) cannot generate ec-p256 keys: .*p384.conf:$gl" \
	airca --hsm "$T/prof/p384.conf" device-ca create --user-id u9 --label dca9
echo "init ok"
