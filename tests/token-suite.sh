# tests/token-suite.sh: the integration steps that make sense on any token,
# sourced by tests/integration/token-*.sh after tests/lib.sh.  Everything
# is checked with the openssl CLI; timings go to stdout for the log.

# tick NAME: seconds since the last tick, printed
TICK=$(date +%s%N)
tick() {
	local now
	now=$(date +%s%N)
	printf '  %-28s %6d ms\n' "$1" $(((now - TICK) / 1000000))
	TICK=$now
}

# key_alg FILE: the public key algorithm of a certificate, as openssl says
key_alg() { cert_text "$1" | sed -n 's/^ *Public Key Algorithm: //p' | head -1; }

token_suite() {
	local H=$AIRCA_HOME dca n f

	init_ca acme
	tick "init ${TEST_KEY:-ec-p256}"
	grep -q "keys  ${TEST_KEY:-ec-p256}, on token 'airca'" "$T/init.out" ||
		fail "init: $(cat "$T/init.out")"
	openssl verify -CAfile "$H/root.pem" "$H/audit.pem" >/dev/null ||
		fail "audit certificate does not chain to the root"
	# the keys as the token itself reports them (not airca's word)
	p11 --login --pin "$TEST_PIN" -O > "$T/objs"
	for l in airca-root airca-audit; do
		grep -A5 "Private Key Object" "$T/objs" | grep -A4 "label: *$l\$" |
			grep 'Access:' | grep -q 'sensitive, always sensitive, never extractable, local' ||
			{ cat "$T/objs"; fail "$l: not sensitive/never extractable/local on the token"; }
		grep -A3 'Certificate Object' "$T/objs" | grep -q "label: *$l\$" ||
			fail "$l: certificate not stored on the token"
	done

	airca device-ca create --user-id u1 --label dca1 > "$T/dca.out"
	tick "device-ca create"
	dca=$(sed -n 's/.*serial \([0-9a-f]*\).*/\1/p' "$T/dca.out")
	[ -n "$dca" ] || fail "device-ca create printed no serial"
	openssl verify -CAfile "$H/root.pem" "$H/certs/$dca.pem" >/dev/null ||
		fail "device CA does not chain to the root"

	make_csr dev "/CN=0b6e2c1a-3f4d-4e5f-8a9b-0c1d2e3f4a5b/OU=acme"
	airca sign --profile device --ca dca1 --in "$T/dev.csr" --out "$T/dev.pem" >/dev/null
	tick "sign"
	openssl verify -CAfile "$H/root.pem" -untrusted "$H/certs/$dca.pem" \
		"$T/dev.pem" >/dev/null || fail "device certificate chain"

	mkdir -p "$T/in"
	"$TOP/$AIRCA_BUILD/tests/gen-csrs" "$T/in" 20 acme good-
	airca batch sign --ca dca1 --in "$T/in" --out "$T/out" >"$T/b.out" ||
		fail "batch sign: $(cat "$T/b.out")"
	tick "batch sign (20)"
	n=0
	for f in "$T/out"/*.pem; do
		case $f in */chain.pem|*/ca.pem|*/root.pem) continue ;; esac
		openssl verify -CAfile "$H/root.pem" -untrusted "$H/certs/$dca.pem" \
			"$f" >/dev/null 2>&1 && n=$((n + 1))
	done
	[ "$n" -eq 20 ] || { ls "$T/out"; fail "batch: $n of 20 certificates verify"; }
	(cd "$T/out" && sha256sum -c --quiet SHA256SUMS) || fail "batch SHA256SUMS"

	airca crl --ca airca-root --out "$T/root.crl" >/dev/null
	openssl crl -in "$T/root.crl" -noout -verify -CAfile "$H/root.pem" 2>&1 |
		grep -q 'verify OK' || fail "root CRL does not verify"
	airca crl --ca dca1 --out "$T/dca.crl" >/dev/null
	openssl crl -in "$T/dca.crl" -noout -verify -CAfile "$H/certs/$dca.pem" 2>&1 |
		grep -q 'verify OK' || fail "device CA CRL does not verify"
	tick "crl (root, device CA)"

	make_csr tls "/CN=ota-lite.acme.example/OU=acme" "DNS:ota-lite.acme.example"
	make_csr ca "/CN=online-ca/OU=acme"
	make_csr est "/CN=est.acme.example/OU=acme" "DNS:est.acme.example"
	api_response "$T/resp.json" tls="$T/tls.csr" ca="$T/ca.csr" est="$T/est.csr"
	airca api sign --in "$T/resp.json" --out "$T/api" >/dev/null
	tick "api sign"
	for f in tls online-ca est-tls; do
		openssl verify -CAfile "$H/root.pem" "$T/api/$f.pem" >/dev/null ||
			fail "api sign: $f does not chain"
	done
	(cd "$T/api" && sha256sum -c --quiet SHA256SUMS) || fail "api SHA256SUMS"

	airca_nopin journal verify > "$T/v" || { cat "$T/v"; fail "journal does not verify"; }
	tick "journal verify"
}
