#!/usr/bin/env bash
# --current FILE: the API's current certificates (its GET, what fioctl keys
# ca show --json prints; client/foundries_pki.go CaCerts) verified against
# the root; ca-crt is then that list plus airca's changes, as fioctl's
# add-device-ca starts from the API's list; a CA airca would drop is named
# and needs --drop SERIAL.
. "$(dirname "$0")/../lib.sh"

init_ca acme
H=$AIRCA_HOME
serial_of() { openssl x509 -in "$1" -noout -serial | cut -d= -f2 | tr A-F a-f; }
keys() { python3 -c 'import json,sys; print(" ".join(sorted(json.load(open(sys.argv[1])))))' "$1"; }
dca() { sed -n "s/.*\"serial\":\"\([0-9a-f]*\)\",\"profile\":\"device-ca\".*/\1/p" "$H/registry.jsonl" | sed -n "${1}p"; }

airca device-ca create --user-id u1 --label dca1 >/dev/null
airca device-ca create --user-id u2 --label dca2 >/dev/null
airca export --serial "$(dca 1)" --out "$T/dca1.pem"
airca export --serial "$(dca 2)" --out "$T/dca2.pem"
d1=$(dca 1) d2=$(dca 2)
# the API's GET, as the online machine saved it
current() {	# OUT CA-PEM-FILES...
	local out=$1; shift
	cat "$@" > "$T/list.pem"
	printf '{"root-crt": %s, "ca-crt": %s, "change-meta": {"created-at": "2026-01-01"}}\n' \
		"$(json_str "$H/root.pem")" "$(json_str "$T/list.pem")" > "$out"
}
current "$T/cur.json" "$T/dca1.pem" "$T/dca2.pem"

# dca2 revoked here, still listed by the API: dropping it needs --drop
airca device-ca revoke --serial "$d2" --out "$T/rev" >/dev/null
airca device-ca create --user-id u3 --label dca3 >/dev/null
d3=$(dca 3)
expect_fail 1 "would drop device CA the API lists: $d2 \(revoked\).*--drop" \
	airca api device-cas --current "$T/cur.json" --out "$T/o1"
airca api device-cas --current "$T/cur.json" --drop "$d2" --out "$T/o1" >/dev/null 2>"$T/e1"
grep -q "dropping $d2" "$T/e1" || fail "the drop is not said"
got=$(openssl crl2pkcs7 -nocrl -certfile "$T/o1/device-cas.pem" | openssl pkcs7 -print_certs -noout |
	grep -c '^subject=')
[ "$got" -eq 2 ] || fail "want dca1 and dca3, got $got"
for s in "$d1" "$d3"; do
	python3 - "$T/o1/upload.json" "$s" <<'PY' || fail "ca-crt lacks $s"
import json, subprocess, sys
pem = json.load(open(sys.argv[1]))["ca-crt"]
out = subprocess.run(["openssl", "crl2pkcs7", "-nocrl", "-certfile", "/dev/stdin"], input=pem.encode(), capture_output=True).stdout
txt = subprocess.run(["openssl", "pkcs7", "-print_certs", "-text", "-noout"], input=out, capture_output=True).stdout.decode()
sys.exit(0 if sys.argv[2] in txt.replace(":", "").lower() else 1)
PY
done
[ "$(keys "$T/o1/upload.json")" = "ca-crt" ] || fail "device-cas writes ca-crt only"

# the API's list must be this root's
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/f.key" \
	-subj "/CN=fio-evil/OU=acme" -out "$T/foreign.pem" 2>/dev/null
current "$T/bad.json" "$T/dca1.pem" "$T/foreign.pem"
expect_fail 1 "ca-crt serial .* is not signed by this home's root" \
	airca api device-cas --current "$T/bad.json" --out "$T/o2"
printf '{"root-crt": %s, "ca-crt": %s}\n' "$(json_str "$T/foreign.pem")" "$(json_str "$T/dca1.pem")" > "$T/bad2.json"
expect_fail 1 "root-crt is not this home's root" airca api device-cas --current "$T/bad2.json" --out "$T/o2"
printf '{"ca_crt": %s}\n' "$(json_str "$T/dca1.pem")" > "$T/bad3.json"
expect_fail 1 'unknown key "ca_crt"' airca api device-cas --current "$T/bad3.json" --out "$T/o2"
expect_fail 2 "--drop names a CA of the API.s current list: give that list with --current FILE" airca api device-cas --drop "$d2" --out "$T/o2"

# api sign --add-online-ca: the API's list plus the new online CA, judged
# before anything is signed
make_csr tls "/CN=ota-lite.acme.example/OU=acme" "DNS:ota-lite.acme.example"
api_response "$T/first.json" tls="$T/tls.csr"
airca api sign --first-time --in "$T/first.json" --out "$T/o3" >/dev/null
make_csr ca "/CN=online-ca/OU=acme"
api_response "$T/online.json" ca="$T/ca.csr"
expect_fail 1 "would drop device CA" airca api sign --add-online-ca --current "$T/cur.json" \
	--in "$T/online.json" --out "$T/o4"
grep '"event":"cert-issued"' "$H/journal.jsonl" | grep -q '"profile":"online-ca"' && fail "signed before the refusal"
airca api sign --add-online-ca --current "$T/cur.json" --drop "$d2" --in "$T/online.json" --out "$T/o4" >/dev/null 2>&1 ||
	fail "add online CA with --current"
[ "$(grep -c 'BEGIN CERTIFICATE' "$T/o4/device-cas.pem")" -eq 3 ] || fail "want dca1, dca3, online CA"
echo "api-current ok"
