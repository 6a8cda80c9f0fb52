#!/usr/bin/env bash
# A CA key on the token that has become extractable (replaced under the
# same label by a key made with CKA_EXTRACTABLE) is refused before it
# signs anything, the refusal naming the attribute.  (CKA_SENSITIVE=FALSE
# cannot be made with pkcs11-tool on SoftHSM: tests/p11shim lies about it.)
. "$(dirname "$0")/../lib.sh"

init_ca acme
airca device-ca create --user-id u1 --label dca1 >/dev/null
uuid=0b6e2c1a-3f4d-4e5f-8a9b-0c1d2e3f4a5b
make_csr dev "/CN=$uuid/OU=acme"
airca sign --profile device --ca dca1 --in "$T/dev.csr" --out "$T/dev.pem" >/dev/null ||
	fail "the genuine key does not sign"

M=$(sed -n 's/^module *= *//p' "$TOP/hsm-profiles/softhsm2.conf" 2>/dev/null | head -1)
[ -n "$M" ] && [ -e "$M" ] || M=/usr/lib/softhsm/libsofthsm2.so
p11() { pkcs11-tool --module "$M" --login --pin "$TEST_PIN" "$@" >/dev/null 2>&1; }
p11 --delete-object --type privkey --label dca1 || fail "cannot delete dca1's key"
p11 --delete-object --type pubkey --label dca1 || fail "cannot delete dca1's public key"
p11 --keypairgen --key-type EC:prime256v1 --label dca1 --id 7777 --extractable ||
	fail "cannot make an extractable key"

make_csr dev2 "/CN=0b6e2c1a-3f4d-4e5f-8a9b-0c1d2e3f4a5c/OU=acme"
expect_fail 4 "key 'dca1' on token '[^']*' is (.*, )?EXTRACTABLE" \
	airca sign --profile device --ca dca1 --in "$T/dev2.csr" --out "$T/dev2.pem"
[ -e "$T/dev2.pem" ] && fail "a certificate was written"
echo "token-extractable ok"
