#!/usr/bin/env bash
# policy-change.sh: a changed policy.conf is a state change.  The first
# command that signs after the edit journals "policy-changed" (new and
# previous SHA-256, the effective policy) before it signs under it, once;
# allow_renewal = yes then lets a device CN be issued again; a policy that
# would loosen the defaults is refused and journals nothing.
. "$(dirname "$0")/../lib.sh"

init_ca acme
H=$AIRCA_HOME
J=$H/journal.jsonl
orig=$(sha256sum "$H/policy.conf" | cut -c1-64)
grep -q "\"policy-sha256\": \"$orig\"" "$H/airca.json" || fail "init did not record the policy's SHA-256"
airca device-ca create --user-id u1 --label dca1 >/dev/null
U=0b5e4a3c-1111-4222-8333-444455556666
make_csr d1 "/CN=$U/OU=acme"
make_csr d2 "/CN=$U/OU=acme"
airca sign --profile device --ca dca1 --in "$T/d1.csr" --out "$T/d1.pem" >/dev/null
expect_fail 1 "duplicate: CN $U" airca sign --profile device --ca dca1 --in "$T/d2.csr" --out "$T/d2.pem"
grep -q '"event":"policy-changed"' "$J" && fail "policy-changed journaled without a change"

# the officers allow renewal: journaled once, before the renewal is signed
sed -i 's/^allow_renewal = no$/allow_renewal = yes/' "$H/policy.conf"
grep -q '^allow_renewal = yes$' "$H/policy.conf" || fail "could not edit the policy"
new=$(sha256sum "$H/policy.conf" | cut -c1-64)
airca sign --profile device --ca dca1 --in "$T/d2.csr" --out "$T/d2.pem" >/dev/null 2>"$T/err" ||
	{ cat "$T/err"; fail "renewal refused under allow_renewal = yes"; }
grep -q 'policy.conf changed since it was last recorded' "$T/err" || fail "no warning about the changed policy"
openssl x509 -in "$T/d2.pem" -noout -subject | grep -q "CN *= *$U" || fail "renewed certificate"
[ "$(grep -c '"event":"policy-changed"' "$J")" -eq 1 ] || fail "want one policy-changed entry"
pc=$(grep '"event":"policy-changed"' "$J")
echo "$pc" | grep -q "\"sha256\":\"$new\"" || fail "policy-changed lacks the new SHA-256"
echo "$pc" | grep -q "\"previous-sha256\":\"$orig\"" || fail "policy-changed lacks the previous SHA-256"
echo "$pc" | grep -q 'allow_renewal = yes' || fail "policy-changed lacks the effective policy"
# journaled before the certificate it allowed
pcseq=$(echo "$pc" | sed 's/^{"seq":\([0-9]*\),.*/\1/')
certseq=$(grep '"event":"cert-issued"' "$J" | grep "$(openssl x509 -in "$T/d2.pem" -noout -serial | cut -d= -f2 | tr A-F a-f)" | sed 's/^{"seq":\([0-9]*\),.*/\1/')
[ -n "$certseq" ] && [ "$pcseq" -lt "$certseq" ] || fail "policy-changed ($pcseq) not before the renewal ($certseq)"
grep -q "\"policy-sha256\": \"$new\"" "$H/airca.json" || fail "new policy SHA-256 not recorded"
airca device-ca create --user-id u2 --label dca2 >/dev/null
[ "$(grep -c '"event":"policy-changed"' "$J")" -eq 1 ] || fail "the same change journaled twice"
airca_nopin journal verify >/dev/null || fail "journal does not verify"

# loosening is refused when the policy is loaded: nothing signed, nothing journaled
cp "$H/policy.conf" "$T/policy.ok"
sed -i '0,/^days = 3650$/s//days = 99999/' "$H/policy.conf"
n=$(wc -l <"$J")
make_csr tls "/CN=gw.acme.example/OU=acme" "DNS:gw.acme.example"
rc=0; airca sign --profile tls --in "$T/tls.csr" --out "$T/tls.pem" >/dev/null 2>"$T/err" || rc=$?
[ "$rc" -ne 0 ] || fail "a loosened policy was accepted"
grep -q "days" "$T/err" || { cat "$T/err"; fail "the refusal does not name the setting"; }
[ ! -e "$T/tls.pem" ] || fail "signed under a loosened policy"
[ "$(wc -l <"$J")" -eq "$n" ] || fail "a refused policy was journaled"
echo "policy-change ok"
