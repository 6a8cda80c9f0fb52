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

# the profile is right: the TPM refuses RSA-4096 ...
pkcs11-tool --module "$P11_MODULE" --token-label airca --login --pin "$TEST_PIN" \
	--keypairgen --key-type rsa:4096 --label probe >"$T/probe" 2>&1 &&
	fail "the TPM generated RSA-4096: add rsa-4096 to hsm-profiles/tpm2-pkcs11.conf"
grep -q 'CKR_ATTRIBUTE_VALUE_INVALID' "$T/probe" || { cat "$T/probe"; fail "RSA-4096: not the refusal expected"; }
# ... so init refuses it before the PIN, naming the profile's line
gl=$(grep -n '^generate' "$AIRCA_PROFILES/tpm2-pkcs11.conf" | cut -d: -f1)
expect_fail 2 "token 'airca' \(HSM profile 'TPM 2.0 \(tpm2-pkcs11\)'\) cannot generate rsa-4096 keys: $AIRCA_PROFILES/tpm2-pkcs11.conf:$gl lists only ec-p256, ec-p384, rsa-3072; use --key with one of those" \
	airca_nopin init --factory acme --key rsa-4096
[ -e "$AIRCA_HOME" ] && fail "a refused key type made the home"
# a profile that claims RSA-4096: the token's refusal, and what to change
sed 's/^generate = .*/generate = ec-p256, rsa-4096/' "$AIRCA_PROFILES/tpm2-pkcs11.conf" > "$T/lying.conf"
expect_fail 4 "token 'airca' cannot generate a rsa-4096 key: .*\(CKR_ATTRIBUTE_VALUE_INVALID\); remove it from \[keys\] generate in the HSM profile" \
	airca --hsm "$T/lying.conf" --home "$T/lying" init --factory acme --key rsa-4096
p11 --login --pin "$TEST_PIN" -O 2>/dev/null | grep -q 'airca-root' && fail "a failed init left a key"

token_suite
key_alg "$AIRCA_HOME/root.pem" | grep -q id-ecPublicKey || fail "root key is not EC"
echo "tpm2 ok"
