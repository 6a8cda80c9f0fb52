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

# the profile is right: the soft token has no EC key generation at all ...
pkcs11-tool --module "$P11_MODULE" -M 2>/dev/null | grep -q '^ *RSA-PKCS-KEY-PAIR-GEN' ||
	fail "openCryptoki lists no RSA key generation"
pkcs11-tool --module "$P11_MODULE" -M 2>/dev/null | grep -q 'ECDSA-KEY-PAIR-GEN' &&
	fail "openCryptoki generates EC keys now: add ec-p256, ec-p384 to hsm-profiles/opencryptoki.conf"
# ... so init's default (ec-p256) is refused before the PIN, naming the line
gl=$(grep -n '^generate' "$AIRCA_PROFILES/opencryptoki.conf" | cut -d: -f1)
expect_fail 2 "token 'airca' \(HSM profile 'openCryptoki soft token'\) cannot generate ec-p256 keys: $AIRCA_PROFILES/opencryptoki.conf:$gl lists only rsa-3072, rsa-4096; use --key with one of those" \
	airca_nopin init --factory acme
[ -e "$AIRCA_HOME" ] && fail "a refused key type made the home"
expect_fail 2 "cannot generate ec-p384 keys" airca init --factory acme --key ec-p384
p11 --login --pin "$TEST_PIN" -O | grep -q 'Object' && fail "a refused init touched the token"

# a PIN longer than 8 characters is a wrong PIN to openCryptoki (and counted)
export LONG_PIN=${TEST_PIN}9
expect_fail 4 "wrong user PIN for token 'airca'" airca_nopin --pin-env LONG_PIN init --factory acme --key rsa-3072

token_suite
key_alg "$AIRCA_HOME/root.pem" | grep -q rsaEncryption || fail "root key is not RSA"
cert_text "$AIRCA_HOME/root.pem" | grep -q 'Public-Key: (3072 bit)' || fail "root key is not RSA-3072"
echo "opencryptoki ok"
