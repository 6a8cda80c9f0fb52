#!/usr/bin/env bash
# airca sign: one request under a profile; every kind of bad request refused with its reason.
. "$(dirname "$0")/../lib.sh"

init_ca acme
H=$AIRCA_HOME
airca device-ca create --user-id u1 --label dca1 >/dev/null
dca=$(sed -n 's/.*"serial":"\([0-9a-f]*\)","profile":"device-ca".*/\1/p' "$H/registry.jsonl")
uuid=0b6e2c1a-3f4d-4e5f-8a9b-0c1d2e3f4a5b

# a device certificate: CN = UUID, OU = factory, nothing else kept
make_csr dev "/CN=$uuid/OU=acme/O=Evil Corp/emailAddress=x@y" "DNS:evil.example" 
openssl req -in "$T/dev.csr" -noout 2>/dev/null
airca sign --profile device --ca dca1 --in "$T/dev.csr" --out "$T/dev.pem" >/dev/null
cat "$H/certs/$dca.pem" "$H/root.pem" > "$T/chain.pem"
openssl verify -CAfile "$H/root.pem" -untrusted "$H/certs/$dca.pem" "$T/dev.pem" >/dev/null || fail "device chain"
openssl x509 -in "$T/dev.pem" -noout -subject -nameopt RFC2253 | grep -q "^subject=OU=acme,CN=$uuid\$" || fail "device subject kept extra attributes"
t=$(cert_text "$T/dev.pem")
echo "$t" | grep -q 'Subject Alternative Name' && fail "device cert copied a SAN"
echo "$t" | grep -A1 'Extended Key Usage' | grep -q 'TLS Web Client Authentication$' || fail "device EKU"
echo "$t" | grep -A1 'Basic Constraints: critical' | grep -q 'CA:FALSE' || fail "device bc"
# notAfter never past the issuer's
na_dev=$(date -d "$(openssl x509 -in "$T/dev.pem" -noout -enddate | cut -d= -f2)" +%s)
na_ca=$(date -d "$(openssl x509 -in "$H/certs/$dca.pem" -noout -enddate | cut -d= -f2)" +%s)
[ "$na_dev" -le "$na_ca" ] || fail "device outlives its CA"

# a request that asks for CA:TRUE gets the device profile and nothing else
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/k" \
	-subj "/CN=1b6e2c1a-3f4d-4e5f-8a9b-0c1d2e3f4a5b/OU=acme" \
	-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign" \
	-out "$T/ca-ask.csr" 2>/dev/null
airca sign --profile device --ca dca1 --in "$T/ca-ask.csr" --out "$T/ca-ask.pem" >/dev/null
cert_text "$T/ca-ask.pem" | grep -A1 'Basic Constraints: critical' | grep -q 'CA:FALSE' || fail "CA:TRUE request honoured"

# existing output never overwritten
expect_fail 1 "exists" airca sign --profile device --ca dca1 --in "$T/dev.csr" --out "$T/dev.pem"

# duplicates: same CN again
make_csr dup "/CN=$uuid/OU=acme"
expect_fail 1 "duplicate: CN $uuid" airca sign --profile device --ca dca1 --in "$T/dup.csr" --out "$T/dup.pem"

# bad requests, each with its reason (exit 1, nothing written)
u2=2b6e2c1a-3f4d-4e5f-8a9b-0c1d2e3f4a5b
make_csr ou "/CN=$u2/OU=evil"
expect_fail 1 "OU.*evil.*acme" airca sign --profile device --ca dca1 --in "$T/ou.csr" --out "$T/x1.pem"
make_csr noou "/CN=$u2"
expect_fail 1 "OU" airca sign --profile device --ca dca1 --in "$T/noou.csr" --out "$T/x2.pem"
make_csr nocn "/OU=acme"
expect_fail 1 "CN" airca sign --profile device --ca dca1 --in "$T/nocn.csr" --out "$T/x3.pem"
make_csr nothex "/CN=2G6E2C1A-3F4D-4E5F-8A9B-0C1D2E3F4A5B/OU=acme"
expect_fail 1 "pattern" airca sign --profile device --ca dca1 --in "$T/nothex.csr" --out "$T/x4.pem"
make_csr weak "/CN=$u2/OU=acme" "" rsa-1024
expect_fail 1 "RSA.*1024" airca sign --profile device --ca dca1 --in "$T/weak.csr" --out "$T/x5.pem"
make_csr k1 "/CN=$u2/OU=acme" "" ec-k256
expect_fail 1 "secp256k1" airca sign --profile device --ca dca1 --in "$T/k1.csr" --out "$T/x6.pem"
cp "$T/dev.pem" "$T/cert-not-csr.csr"
expect_fail 1 "certificate, not a" airca sign --profile device --ca dca1 --in "$T/cert-not-csr.csr" --out "$T/x7.pem"
: > "$T/empty.csr"
expect_fail 1 "empty" airca sign --profile device --ca dca1 --in "$T/empty.csr" --out "$T/x8.pem"
# explicit curve parameters equal to P-256: OpenSSL calls them prime256v1,
# but the certificate would carry them (RFC 5480 wants a named curve)
openssl ecparam -name prime256v1 -param_enc explicit -genkey -noout -out "$T/explicit.key"
openssl req -new -key "$T/explicit.key" -subj "/CN=$u2/OU=acme" -out "$T/explicit.csr"
openssl req -in "$T/explicit.csr" -noout -text | grep -q 'Field Type: prime-field' || fail "no explicit-parameter CSR made"
expect_fail 1 "explicit curve parameters, not a named curve" airca sign --profile device --ca dca1 --in "$T/explicit.csr" --out "$T/x18.pem"
[ ! -e "$T/x18.pem" ] || fail "explicit curve: output written"
# a bad self-signature: flip a byte near the end of the DER
make_csr sig "/CN=$u2/OU=acme"
openssl req -in "$T/sig.csr" -outform DER -out "$T/sig.der"
len=$(stat -c %s "$T/sig.der")
flip_byte "$T/sig.der" $((len - 5))
expect_fail 1 "signature" airca sign --profile device --ca dca1 --in "$T/sig.der" --out "$T/x9.pem"
ln -s "$T/dev.csr" "$T/link.csr"
expect_fail 1 "symbolic link" airca sign --profile device --ca dca1 --in "$T/link.csr" --out "$T/x10.pem"
head -c 100000 /dev/zero > "$T/big.csr"
expect_fail 1 "too (big|large)|bytes" airca sign --profile device --ca dca1 --in "$T/big.csr" --out "$T/x11.pem"
for i in 1 2 3 4 5 6 7 8 9 10 11; do
	[ -e "$T/x$i.pem" ] && fail "x$i.pem written for a refused request"
done
[ "$(grep -c '"event":"csr-rejected"' "$H/journal.jsonl")" -ge 9 ] || fail "rejections not journaled"

# profiles signed by the root
make_csr tls "/CN=gw.acme.example/OU=acme" "DNS:gw.acme.example"
airca sign --profile tls --in "$T/tls.csr" --out "$T/tls.pem" >/dev/null
openssl verify -CAfile "$H/root.pem" "$T/tls.pem" >/dev/null || fail "tls chain"
make_csr notls "/CN=gw.acme.example/OU=acme"
expect_fail 1 "DNS" airca sign --profile tls --in "$T/notls.csr" --out "$T/x12.pem"
expect_fail 2 "profile" airca sign --profile root --in "$T/tls.csr" --out "$T/x13.pem"
expect_fail 2 "--ca" airca sign --profile device --in "$T/dev.csr" --out "$T/x14.pem"
expect_fail 1 "no CA labelled" airca sign --profile device --ca nosuch --in "$T/dev.csr" --out "$T/x15.pem"
# a CN with a right-to-left override (U+202E) or a zero-width space reads as
# another name on screen and on paper: refused, nothing written
for ch in '\xe2\x80\xae' '\xe2\x80\x8b'; do
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -utf8 \
		-keyout "$T/bidi.key" -subj "/CN=gw$(printf "$ch")lmth.acme.example/OU=acme" \
		-addext "subjectAltName=DNS:gw.acme.example" -out "$T/bidi.csr" 2>/dev/null
	expect_fail 1 "CN contains control characters or invisible ones" \
		airca sign --profile tls --in "$T/bidi.csr" --out "$T/x17.pem"
	[ ! -e "$T/x17.pem" ] || fail "bidi CN: output written"
done
expect_fail 1 "longer than profile tls" airca sign --profile tls --days 5000 --in "$T/tls.csr" --out "$T/x16.pem"
echo "sign ok"
