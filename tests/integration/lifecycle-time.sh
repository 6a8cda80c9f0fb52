#!/usr/bin/env bash
# airca list / renew / export over time: libfaketime moves the clock forward
# (never back: the journal's times must not go backwards).
. "$(dirname "$0")/../lib.sh"

# later DAYS ARGS: airca with the clock DAYS days ahead (ASan must accept the preload)
later() {
	local d=$1
	shift
	ASAN_OPTIONS="$ASAN_OPTIONS:verify_asan_link_order=0" faketime "+$d days" \
		"$AIRCA_BIN" --pin-env TEST_PIN "$@"
}
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2 | tr A-F a-f; }
status_of() { grep "\"serial\":\"$1\"" "$H/registry.jsonl" | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p'; }

init_ca acme
H=$AIRCA_HOME
airca device-ca create --user-id u1 --label dca1 >/dev/null
dca1=$(grep '"label":"dca1"' "$H/registry.jsonl" | sed 's/.*"serial":"\([0-9a-f]*\)".*/\1/')
make_csr tls "/CN=ota.acme.example/OU=acme" "DNS:ota.acme.example,DNS:gw.acme.example"
airca sign --profile tls --in "$T/tls.csr" --out "$T/tls.pem" --days 100 >/dev/null
U1=0b5e4a3c-1111-2222-3333-444455556666
U2=0b5e4a3c-1111-2222-3333-777788889999
make_csr dev1 "/CN=$U1/OU=acme"
make_csr dev2 "/CN=$U2/OU=acme"
airca sign --profile device --ca dca1 --in "$T/dev1.csr" --out "$T/dev1.pem" --days 30 >/dev/null
airca sign --profile device --ca dca1 --in "$T/dev2.csr" --out "$T/dev2.pem" --days 200 >/dev/null
tls=$(serial_of "$T/tls.pem"); dev1=$(serial_of "$T/dev1.pem"); dev2=$(serial_of "$T/dev2.pem")

# ---- list: every certificate, sorted by expiry, with OpenSSL's subject hash ----
airca list > "$T/l"
[ "$(grep -vc '^TYPE' "$T/l")" -eq 6 ] || fail "list: want 6 certificates (root, audit, dca1, tls, 2 devices)"
grep -v '^TYPE' "$T/l" | awk '{print $3}' | sort -c || fail "list is not sorted by expiry"
head -2 "$T/l" | tail -1 | grep -q "^device .*$dev1\$" || fail "the 30-day device is not first"
h=$(openssl x509 -in "$T/tls.pem" -noout -subject_hash)
grep -q "^tls *$h " "$T/l" || fail "tls subject hash $h not listed"
h=$(openssl x509 -in "$H/root.pem" -noout -subject_hash)
grep "^root *$h " "$T/l" | grep -q 'airca-root' || fail "root row (hash, label)"
airca list --profile device > "$T/l"
[ "$(grep -vc '^TYPE' "$T/l")" -eq 2 ] || fail "--profile device"
expect_fail 2 "profile" airca list --profile nonsense
expect_fail 2 "expiring" airca list --expiring soon
airca --json list > "$T/j"
grep -q "\"subject-hash\": \"$h\"" "$T/j" || fail "--json subject-hash"
grep -c '"serial"' "$T/j" | grep -qx 6 || fail "--json rows"

# --expiring: now, and later with faked time
airca list --expiring 40 > "$T/l"
[ "$(grep -vc '^TYPE' "$T/l")" -eq 1 ] && grep -q "$dev1" "$T/l" || fail "--expiring 40 now: only dev1"
later 35 list --expiring 0 > "$T/l"
grep "$dev1" "$T/l" | grep -q 'EXPIRED' || fail "dev1 not marked expired 35 days on"
later 35 list --expiring 70 > "$T/l"
grep -q "$dev1" "$T/l" && grep -q "$tls" "$T/l" || fail "+35d --expiring 70: dev1 and tls"
grep -q "$dev2" "$T/l" && fail "+35d --expiring 70: dev2 expires later"
later 3640 list --expiring 30 > "$T/l"
grep -q "dca1" "$T/l" || fail "+3640d: dca1 expires within 30 days"
grep -q "airca-root" "$T/l" && fail "+3640d: the root has 10 more years"

# ---- renew: leaves only unless told, same key, old superseded ----
expect_fail 2 "root is not renewed" airca renew --expiring 30 --out "$T/r0" --profile root
expect_fail 2 "usage" airca renew --out "$T/r0"
later 35 renew --expiring 70 --out "$T/r1" > "$T/rlog" 2> "$T/rerr"
(cd "$T/r1" && sha256sum -c --quiet SHA256SUMS) || fail "renew SHA256SUMS"
[ -f "$T/r1/$U1.pem" ] && [ -f "$T/r1/ota.acme.example.pem" ] || fail "renew outputs: $(ls "$T/r1")"
[ -e "$T/r1/$U2.pem" ] && fail "renewed dev2, which expires later"
new1=$(serial_of "$T/r1/$U1.pem"); newtls=$(serial_of "$T/r1/ota.acme.example.pem")
[ "$new1" != "$dev1" ] || fail "renewal kept the serial"
grep -q "$dev1 -> $new1" "$T/rlog" || fail "renew output lacks old -> new"
[ "$(status_of "$dev1")" = superseded ] && [ "$(status_of "$tls")" = superseded ] || fail "old ones not superseded"
grep "\"serial\":\"$dev1\"" "$H/registry.jsonl" | grep -q "\"superseded-by\":\"$new1\"" || fail "superseded-by"
grep '"event":"cert-renewed"' "$H/journal.jsonl" | grep -q "\"old\":\"$dev1\",\"new\":\"$new1\"" || fail "journal link"
# same key, same subject, same SANs, a fresh validity
[ "$(openssl x509 -in "$T/dev1.pem" -noout -pubkey)" = "$(openssl x509 -in "$T/r1/$U1.pem" -noout -pubkey)" ] || fail "renewal changed the key"
[ "$(openssl x509 -in "$T/dev1.pem" -noout -subject)" = "$(openssl x509 -in "$T/r1/$U1.pem" -noout -subject)" ] || fail "renewal changed the subject"
cert_text "$T/r1/ota.acme.example.pem" | grep -q 'DNS:ota.acme.example, DNS:gw.acme.example' || fail "renewed tls SANs"
openssl x509 -in "$T/r1/$U1.pem" -noout -checkend $((3000 * 86400)) >/dev/null || fail "renewed device validity"
# the file is the certificate, then its chain; it verifies with the root
faketime '+36 days' openssl verify -CAfile "$H/root.pem" \
	-untrusted "$T/r1/$U1.pem" "$T/r1/$U1.pem" >/dev/null || fail "renewed device does not chain"
[ "$(grep -c 'BEGIN CERTIFICATE' "$T/r1/$U1.pem")" -eq 3 ] || fail "device file: leaf, device CA, root"
# a CA is skipped unless named, and says so
grep -q 'skipped' "$T/rerr" && fail "nothing to skip at +35 days"
later 3640 list --expiring 30 --profile device-ca | grep -q dca1 || fail "dca1 expiring"
later 3640 renew --expiring 30 --out "$T/r2" > "$T/rlog" 2> "$T/rerr" || true
grep -q "skipped  device-ca $dca1" "$T/rerr" || fail "device CA not reported as skipped: $(cat "$T/rerr")"
[ "$(status_of "$dca1")" = valid ] || fail "device CA renewed without --profile device-ca"
later 3640 renew --expiring 30 --profile device-ca --out "$T/r3" > "$T/rlog"
ndca=$(serial_of "$T/r3/fio-u1.pem")
[ "$(status_of "$dca1")" = superseded ] || fail "old dca1 not superseded"
grep "\"serial\":\"$ndca\"" "$H/registry.jsonl" | grep -q '"label":"dca1"' || fail "renewed dca1 keeps its label"
[ "$(openssl x509 -in "$H/certs/$dca1.pem" -noout -pubkey)" = "$(openssl x509 -in "$T/r3/fio-u1.pem" -noout -pubkey)" ] || fail "device CA key changed"

# ---- export: one certificate, or the chain leaf -> CA -> root ----
make_csr dev3 "/CN=0b5e4a3c-1111-2222-3333-aaaabbbbcccc/OU=acme"
later 3640 sign --profile device --ca dca1 --in "$T/dev3.csr" --out "$T/dev3.pem" >/dev/null
dev3=$(serial_of "$T/dev3.pem")
[ "$(openssl x509 -in "$T/dev3.pem" -noout -issuer)" = "$(openssl x509 -in "$T/r3/fio-u1.pem" -noout -subject | sed 's/^subject/issuer/')" ] || fail "dev3 issuer"
airca export --serial "$dev3" --chain --out "$T/chain.pem"
openssl crl2pkcs7 -nocrl -certfile "$T/chain.pem" | openssl pkcs7 -print_certs -noout | grep '^subject' > "$T/subjects"
[ "$(sed -n 1p "$T/subjects")" = "subject=CN = 0b5e4a3c-1111-2222-3333-aaaabbbbcccc, OU = acme" ] || fail "chain[0]: $(cat "$T/subjects")"
[ "$(sed -n 2p "$T/subjects")" = "subject=CN = fio-u1, OU = acme" ] || fail "chain[1]"
[ "$(sed -n 3p "$T/subjects")" = "subject=CN = Factory-CA, OU = acme" ] || fail "chain[2]"
[ "$(wc -l < "$T/subjects")" -eq 3 ] || fail "chain length"
ASAN_OPTIONS=verify_asan_link_order=0 faketime '+3641 days' openssl verify -CAfile "$H/root.pem" \
	-untrusted "$T/chain.pem" "$T/dev3.pem" >/dev/null || fail "exported chain does not verify"
# a device of the renewed CA's old certificate: the chain carries the renewal
airca export --serial "$dev2" --chain > "$T/chain2.pem"
openssl crl2pkcs7 -nocrl -certfile "$T/chain2.pem" | openssl pkcs7 -print_certs -noout -text | \
	grep -A1 'Serial Number:' | grep -v -e 'Serial Number:' -e '^--' | tr -d ' :' | tr A-F a-f | sed -n 2p | \
	grep -qx "$ndca" || fail "the chain of dev2 should carry the renewed dca1"
airca export --serial "$dev3" --der --out "$T/dev3.der"
openssl x509 -inform DER -in "$T/dev3.der" -noout -serial | grep -qi "$dev3" || fail "--der"
airca export --serial "$dev3" | cmp -s - "$T/dev3.pem" || fail "export to stdout != the signed PEM"
expect_fail 2 "drop --der or --chain" airca export --serial "$dev3" --der --chain
expect_fail 1 "no certificate of this home" airca export --serial 0a0b0c
expect_fail 2 "not hex" airca export --serial xyz
expect_fail 1 "exists" airca export --serial "$dev3" --out "$T/dev3.der"
echo "lifecycle-time ok"
