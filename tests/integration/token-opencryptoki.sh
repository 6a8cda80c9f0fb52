#!/usr/bin/env bash
# token-opencryptoki.sh: airca on openCryptoki's soft token (pkcsslotd
# started and stopped here, its state in the test's temp dir): init with
# RSA (the soft token has no elliptic curves), device CA, sign, batch, CRL,
# api sign, journal verify; the profile's refusals at init.
AIRCA_TEST_TOKEN=opencryptoki
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/token-suite.sh"

make_token
airca token list > "$T/list" || fail "token list failed"
grep -q "token: *airca" "$T/list" || { cat "$T/list"; fail "token list: no token 'airca'"; }
grep -q "manufacturer: *IBM" "$T/list" || fail "token list: not openCryptoki"

token_suite
key_alg "$AIRCA_HOME/root.pem" | grep -q rsaEncryption || fail "root key is not RSA"
cert_text "$AIRCA_HOME/root.pem" | grep -q 'Public-Key: (3072 bit)' || fail "root key is not RSA-3072"
echo "opencryptoki ok"
