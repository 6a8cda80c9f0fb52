#!/usr/bin/env bash
# token-tpm2.sh: airca on tpm2-pkcs11 over a software TPM (swtpm and
# tpm2-abrmd started and stopped here, the store in the test's temp dir):
# init, device CA, sign, batch, CRL, api sign, journal verify; RSA-4096,
# which a TPM cannot do, refused at init by the profile.
AIRCA_TEST_TOKEN=tpm2
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/token-suite.sh"

make_token
airca token list > "$T/list" || fail "token list failed"
grep -q "token: *airca" "$T/list" || { cat "$T/list"; fail "token list: no token 'airca'"; }
grep -q "model: *SW   TPM" "$T/list" || fail "token list: not the swtpm"

token_suite
key_alg "$AIRCA_HOME/root.pem" | grep -q id-ecPublicKey || fail "root key is not EC"
echo "tpm2 ok"
