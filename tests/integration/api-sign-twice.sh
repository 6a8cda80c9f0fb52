#!/usr/bin/env bash
# api sign is idempotent: the same response twice re-exports the same
# certificates (same serials, byte-identical files, journaled as
# api-reexported), never a second valid certificate for one key and profile.
. "$(dirname "$0")/../lib.sh"

init_ca acme
H=$AIRCA_HOME
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2 | tr A-F a-f; }
issued() { grep -c '"event":"cert-issued"' "$H/journal.jsonl"; }

make_csr tls "/CN=gw.acme.example/OU=acme" "DNS:gw.acme.example,DNS:ota.acme.example"
make_csr ca "/CN=online-ca/OU=acme"
make_csr est "/CN=est.acme.example/OU=acme" "DNS:est.acme.example"
api_response "$T/r.json" tls="$T/tls.csr" ca="$T/ca.csr" est="$T/est.csr"
airca api sign --in "$T/r.json" --out "$T/o1" >/dev/null
n1=$(issued)

airca api sign --in "$T/r.json" --out "$T/o2" > "$T/log2"
[ "$(issued)" -eq "$n1" ] || fail "the second run issued certificates"
for f in tls.pem online-ca.pem est-tls.pem root.pem device-cas.pem; do
	cmp -s "$T/o1/$f" "$T/o2/$f" || fail "$f differs between the two runs"
done
for f in tls online-ca est-tls; do
	s=$(serial_of "$T/o1/$f.pem")
	cmp -s "$T/o2/$f.pem" "$H/certs/$s.pem" || fail "$f.pem is not HOME/certs/$s.pem"
	grep -q "re-exported.*$f.pem (serial $s)" "$T/log2" || fail "output does not say $f was re-exported"
	grep '"event":"api-reexported"' "$H/journal.jsonl" | grep -q "\"serial\":\"$s\"" || fail "api-reexported lacks $s"
done
# ca-crt holds the online CA once
n=$(grep -c 'BEGIN CERTIFICATE' "$T/o2/device-cas.pem")
[ "$n" -eq 1 ] || fail "device-cas.pem has $n certificates, want 1"
# still one valid certificate per profile, nothing superseded
for p in tls online-ca est-tls; do
	v=$(grep "\"profile\":\"$p\"" "$H/registry.jsonl" | grep -c '"status":"valid"')
	[ "$v" -eq 1 ] || fail "$v valid $p certificates"
done
grep -q '"superseded"' "$H/registry.jsonl" && fail "a re-run superseded a certificate"
cmp -s <(grep -v '"SHA256SUMS"' "$T/o1/upload.json") <(grep -v '"SHA256SUMS"' "$T/o2/upload.json") || fail "upload.json differs"
airca journal verify >/dev/null || fail "journal does not verify"

# after a rotation, the old response is not re-exported: its TLS key is retired
make_csr tls2 "/CN=gw.acme.example/OU=acme" "DNS:gw.acme.example"
api_response "$T/rot.json" tls="$T/tls2.csr"
airca api sign --in "$T/rot.json" --out "$T/o3" >/dev/null
old=$(serial_of "$T/o1/tls.pem")
n3=$(issued)
expect_fail 1 "tls-csr: duplicate: this public key was certified before under profile tls \(serial $old, superseded\)" \
	airca api sign --in "$T/r.json" --out "$T/o4"
[ "$(issued)" -eq "$n3" ] || fail "a retired TLS key was certified again"

# the same key with other names is not a re-export: refused
openssl req -new -key "$T/ca.key" -subj "/CN=other-ca/OU=acme" -out "$T/ca-other.csr"
api_response "$T/r5.json" ca="$T/ca-other.csr"
expect_fail 1 "ca-csr: duplicate: this public key was certified before under profile online-ca \(serial $(serial_of "$T/o1/online-ca.pem")\) with another issuer, subject or DNS names" \
	airca api sign --in "$T/r5.json" --out "$T/o5"
[ "$(issued)" -eq "$n3" ] || fail "a second online CA was issued for one key"
# sign refuses a second certificate for one key and profile, and says how to re-export
expect_fail 1 "duplicate: this public key was certified before under profile online-ca.*airca export --serial" \
	airca sign --profile online-ca --in "$T/ca.csr" --out "$T/x.pem"
echo "api-sign-twice ok"
