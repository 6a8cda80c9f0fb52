#!/usr/bin/env bash
# api sign judges every request under every rule before any state changes
# (a refused ca-csr leaves the live TLS certificate valid and nothing signed),
# and one key is never certified under two profiles: api sign, sign and
# batch sign all refuse it, naming the other serial and profile.
. "$(dirname "$0")/../lib.sh"

init_ca acme
H=$AIRCA_HOME
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2 | tr A-F a-f; }
status_of() { grep "\"serial\":\"$1\"" "$H/registry.jsonl" | sed 's/.*"status":"\([a-z]*\)".*/\1/'; }
issued() { grep -c '"event":"cert-issued"' "$H/journal.jsonl"; }

make_csr tls "/CN=gw.acme.example/OU=acme" "DNS:gw.acme.example"
api_response "$T/r1.json" tls="$T/tls.csr"
airca api sign --in "$T/r1.json" --out "$T/o1" >/dev/null
tls1=$(serial_of "$T/o1/tls.pem")
[ "$(status_of "$tls1")" = valid ] || fail "first TLS certificate not valid"

# 1. a key rule that only the profile has: online-ca tightened to refuse P-384
sed -i '/^\[profile online-ca\]$/,/^allow_p384/s/^allow_p384 = yes$/allow_p384 = no/' "$H/policy.conf"
sed -n '/^\[profile online-ca\]$/,/^allow_p384/p' "$H/policy.conf" | grep -q '^allow_p384 = no$' || fail "could not edit the policy"
make_csr tls2 "/CN=gw.acme.example/OU=acme" "DNS:gw.acme.example"
make_csr ca384 "/CN=online-ca/OU=acme" "" ec-p384
api_response "$T/r2.json" tls="$T/tls2.csr" ca="$T/ca384.csr"
nreg=$(wc -l < "$H/registry.jsonl"); nissued=$(issued)
expect_fail 1 "nothing signed, 1 request refused: ca-csr: key EC P-384 is not allowed by profile online-ca" \
	airca api sign --in "$T/r2.json" --out "$T/o2"
[ "$(issued)" -eq "$nissued" ] || fail "a certificate was issued for a refused response"
[ "$(wc -l < "$H/registry.jsonl")" -eq "$nreg" ] || fail "registry changed by a refused response"
[ "$(status_of "$tls1")" = valid ] || fail "the live TLS certificate was superseded by a refused response"
grep -q '"superseded-by"' "$H/journal.jsonl" && fail "a supersede was journaled for a refused response"
grep '"event":"csr-rejected"' "$H/journal.jsonl" | grep -q 'ca-csr.*P-384 is not allowed' || fail "refusal not journaled"
[ -e "$T/o2/upload.json" ] && fail "upload.json written for a refused response"
[ -e "$T/o2/tls.pem" ] && fail "tls.pem written for a refused response"
airca journal verify >/dev/null || fail "journal does not verify"

# 3. the same key in tls-csr and ca-csr of one response: refused, nothing signed
openssl req -new -key "$T/tls2.key" -subj "/CN=online-ca/OU=acme" -out "$T/ca-tls2key.csr"
api_response "$T/r3.json" tls="$T/tls2.csr" ca="$T/ca-tls2key.csr"
expect_fail 1 "nothing signed.*ca-csr: duplicate: the same public key as tls-csr in this response" \
	airca api sign --in "$T/r3.json" --out "$T/o3"
[ "$(issued)" -eq "$nissued" ] || fail "a certificate was issued for a response with one key twice"
[ "$(status_of "$tls1")" = valid ] || fail "the live TLS certificate was superseded"

# 3. a key already certified under tls, now asked for as the online CA
openssl req -new -key "$T/tls.key" -subj "/CN=online-ca/OU=acme" -out "$T/ca-tlskey.csr"
make_csr est "/CN=est.acme.example/OU=acme" "DNS:est.acme.example"
api_response "$T/r4.json" ca="$T/ca-tlskey.csr" est="$T/est.csr"
expect_fail 1 "ca-csr: this public key is already certified under profile tls \(serial $tls1, valid\)" \
	airca api sign --in "$T/r4.json" --out "$T/o4"
[ "$(issued)" -eq "$nissued" ] || fail "est-tls signed although ca-csr was refused"

# ... and by sign, under any profile
expect_fail 1 "already certified under profile tls \(serial $tls1, valid\)" \
	airca sign --profile online-ca --in "$T/ca-tlskey.csr" --out "$T/x1.pem"
[ -e "$T/x1.pem" ] && fail "sign wrote a certificate for a key certified under tls"

# ... and by batch sign: the reason in rejected.txt
airca device-ca create --user-id u1 --label dca1 >/dev/null
mkdir "$T/batch"
openssl req -new -key "$T/tls.key" -subj "/CN=0b6e2c1a-3f4d-4e5f-8a9b-0c1d2e3f4a5b/OU=acme" -out "$T/batch/a.csr"
make_csr good "/CN=1b6e2c1a-3f4d-4e5f-8a9b-0c1d2e3f4a5b/OU=acme"
cp "$T/good.csr" "$T/batch/b.csr"
expect_fail 3 "" airca batch sign --ca dca1 --in "$T/batch" --out "$T/bout"
grep -q "^a.csr: this public key is already certified under profile tls (serial $tls1, valid)" "$T/bout/rejected.txt" ||
	{ cat "$T/bout/rejected.txt" >&2; fail "batch did not refuse a key certified under tls"; }
[ -f "$T/bout/1b6e2c1a-3f4d-4e5f-8a9b-0c1d2e3f4a5b.pem" ] || fail "batch did not sign the good request"

# a superseded certificate's key is not free for another profile either
make_csr tls3 "/CN=gw.acme.example/OU=acme" "DNS:gw.acme.example"
api_response "$T/r5.json" tls="$T/tls3.csr"
airca api sign --in "$T/r5.json" --out "$T/o5" >/dev/null
[ "$(status_of "$tls1")" = superseded ] || fail "rotation did not supersede"
expect_fail 1 "already certified under profile tls \(serial $tls1, superseded\)" \
	airca sign --profile online-ca --in "$T/ca-tlskey.csr" --out "$T/x2.pem"
airca journal verify >/dev/null || fail "journal does not verify"
echo "api-sign-judge ok"
