#!/usr/bin/env bash
# Requests must be DER (or PEM around DER) and self-signed with SHA-2:
# BER and MD5/SHA-1 signatures are refused with their reason by sign and,
# in rejected.txt, by batch sign.
. "$(dirname "$0")/../lib.sh"

init_ca acme
airca device-ca create --user-id u1 --label dca1 >/dev/null
mkdir "$T/in"
u() { printf '%08x-3f4d-4e5f-8a9b-0c1d2e3f4a5b' "$1"; }
ec="-newkey ec -pkeyopt ec_paramgen_curve:P-256"

# self-signed with SHA-1 (ECDSA) and MD5 (RSA)
openssl req -new $ec -nodes -keyout "$T/k1" -subj "/CN=$(u 1)/OU=acme" -sha1 -out "$T/in/sha1.csr" 2>/dev/null
openssl req -in "$T/in/sha1.csr" -noout -text | grep -q 'ecdsa-with-SHA1' || fail "no SHA-1 request made"
openssl req -new -newkey rsa:2048 -nodes -keyout "$T/k2" -subj "/CN=$(u 2)/OU=acme" -md5 -out "$T/in/md5.csr" 2>/dev/null
openssl req -in "$T/in/md5.csr" -noout -text | grep -q 'md5WithRSAEncryption' || fail "no MD5 request made"
expect_fail 1 "self-signed with ecdsa-with-SHA1 \(a broken digest" \
	airca sign --profile device --ca dca1 --in "$T/in/sha1.csr" --out "$T/x1.pem"
expect_fail 1 "self-signed with md5WithRSAEncryption \(a broken digest" \
	airca sign --profile device --ca dca1 --in "$T/in/md5.csr" --out "$T/x2.pem"

# BER: the outer length in long form (0x82 0x01 0x2c -> 0x83 0x00 0x01 0x2c);
# the signature still verifies, it covers only the inner part
openssl req -new $ec -nodes -keyout "$T/k3" -subj "/CN=$(u 3)/OU=acme" -outform DER -out "$T/ok.der" 2>/dev/null
python3 - "$T/ok.der" "$T/in/ber.der" <<'PY'
import sys
d = open(sys.argv[1], 'rb').read()
assert d[0] == 0x30
if d[1] == 0x81:
    n, body = d[2], d[3:]
elif d[1] == 0x82:
    n, body = (d[2] << 8) | d[3], d[4:]
else:
    n, body = d[1], d[2:]
assert n == len(body)
open(sys.argv[2], 'wb').write(bytes([0x30, 0x83, 0, n >> 8, n & 0xff]) + body)
PY
openssl req -inform DER -in "$T/in/ber.der" -noout -verify 2>&1 | grep -q 'verify OK' || fail "the BER request does not verify with openssl"
expect_fail 1 "the request is not DER: a length with leading zero bytes \(BER\) at byte 0" \
	airca sign --profile device --ca dca1 --in "$T/in/ber.der" --out "$T/x3.pem"
# the same in PEM
{ echo '-----BEGIN CERTIFICATE REQUEST-----'; base64 -w 64 "$T/in/ber.der"; echo '-----END CERTIFICATE REQUEST-----'; } > "$T/ber.pem"
expect_fail 1 "the request is not DER: a length with leading zero bytes" \
	airca sign --profile device --ca dca1 --in "$T/ber.pem" --out "$T/x4.pem"
for i in 1 2 3 4; do [ -e "$T/x$i.pem" ] && fail "x$i.pem written for a refused request"; done

# batch sign: the same reasons in rejected.txt, the good request signed
openssl req -new $ec -nodes -keyout "$T/k4" -subj "/CN=$(u 4)/OU=acme" -out "$T/in/good.csr" 2>/dev/null
expect_fail 3 "" airca batch sign --ca dca1 --in "$T/in" --out "$T/out"
R=$T/out/rejected.txt
grep -q '^sha1.csr: the request is self-signed with ecdsa-with-SHA1 (a broken digest' "$R" || { cat "$R" >&2; fail "sha1 not in rejected.txt"; }
grep -q '^md5.csr: the request is self-signed with md5WithRSAEncryption (a broken digest' "$R" || { cat "$R" >&2; fail "md5 not in rejected.txt"; }
grep -q '^ber.der: the request is not DER: a length with leading zero bytes (BER) at byte 0' "$R" || { cat "$R" >&2; fail "BER not in rejected.txt"; }
[ -f "$T/out/$(u 4).pem" ] || fail "the good request was not signed"
echo "csr-strict ok"
