#!/usr/bin/env bash
# The factory flow as the factory API and its devices see it, played with
# Go's standard library (tests/factory/factory-api.go: fioctl's CaCerts,
# x509.VerifyOptions, crypto/tls, x509.ParseRevocationList): every
# upload.json airca writes is PATCHed into the API's state, device
# certificates from 'airca batch sign' connect to a crypto/tls gateway that
# requires client certificates from the ca-crt pool, and the CRLs verify.
# Requests are made with the openssl CLI as the API makes its CSRs (fioctl
# x509/common_test.go: TLS CN + DNS SANs, online CA CN + OU) and as
# lmp-device-register makes a device's (src/openssl.cpp: CN=UUID, OU=factory,
# businessCategory=production with --production, P-256, critical
# keyUsage digitalSignature and extendedKeyUsage clientAuth).
. "$(dirname "$0")/../lib.sh"

# ---- the Go program: built once per run, no module downloads ----
command -v go >/dev/null || fail "go is not installed (Debian golang-go): run 'make deps'"
FA=$TOP/$AIRCA_BUILD/tests/factory-api
mkdir -p "$TOP/$AIRCA_BUILD/tests"
GOCACHE=$TOP/$AIRCA_BUILD/go-cache GOPATH=$TOP/$AIRCA_BUILD/go-path \
	GOPROXY=off GOFLAGS= GO111MODULE=off GOTOOLCHAIN=local CGO_ENABLED=0 \
	go build -o "$FA" "$TOP/tests/factory/factory-api.go" || fail "go build"
ST=$T/api-state.json		# the API's certificates: what its GET returns
patch() { "$FA" patch "$ST" "$1" > "$T/patch.out" || fail "the API refused $1: $(cat "$T/patch.out")"; cat "$T/patch.out"; }
keys() { python3 -c 'import json,sys; print(" ".join(sorted(json.load(open(sys.argv[1])))))' "$1"; }
dec() { python3 -c 'import sys; print(int(sys.argv[1], 16))' "$1"; }
serial_of() { openssl x509 -in "$1" -noout -serial | sed 's/serial=//' | tr 'A-F' 'a-f'; }

init_ca acme
airca device-ca create --user-id owner1 --label dca1 >/dev/null

# ---- the API's CSRs, made as the API makes them ----
api_csr() {	# NAME SUBJ [DNS,...]
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$T/$1.key" -subj "$2" ${3:+-addext "subjectAltName=$3"} \
		-out "$T/$1.csr" 2>/dev/null
}
api_csr tls "/CN=ota-lite.fio" "DNS:acme.ota-lite.fio,DNS:acme.ostree.fio"
api_csr online "/CN=acme.ota-lite.fio/OU=acme"

# ---- first-time setup (fioctl keys ca create): root-crt, tls-crt, ca-crt ----
api_response "$T/first.json" tls="$T/tls.csr" ca="$T/online.csr"
airca api sign --in "$T/first.json" --out "$T/o1" >/dev/null
[ "$(keys "$T/o1/upload.json")" = "ca-crt root-crt tls-crt" ] || fail "first: $(keys "$T/o1/upload.json")"
patch "$T/o1/upload.json" | grep -q '^patched root-crt tls-crt ca-crt (2 device CAs' || fail "first PATCH: $(cat "$T/patch.out")"

# ---- devices, as lmp-device-register makes their requests ----
IN=$T/in
mkdir -p "$IN" "$T/in2" "$T/in3" "$T/in4"
lmp_csr() {	# DIR NAME UUID [production]
	local subj="/CN=$3/OU=acme"
	[ "${4:-}" = production ] && subj="$subj/businessCategory=production"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -sha256 \
		-keyout "$T/$2.key" -subj "$subj" \
		-addext "keyUsage=critical,digitalSignature" \
		-addext "extendedKeyUsage=critical,clientAuth" \
		-out "$1/$2.csr" 2>/dev/null
}
PROD=1111aaaa-2222-4333-8444-555555555555
DEV=11111111-2222-4333-8444-666666666666
UP=0F8E2B1A-3C4D-4E5F-8A9B-0C1D2E3F4A5B
lmp_csr "$IN" prod $PROD production
lmp_csr "$IN" dev $DEV
lmp_csr "$IN" up $UP production
# the same device in lower case, in the same batch: one device, a duplicate
lmp_csr "$IN" zlow "$(echo $UP | tr 'A-F' 'a-f')" production
rc=0
airca batch sign --ca dca1 --in "$IN" --out "$T/b1" >"$T/b1.out" 2>&1 || rc=$?
[ "$rc" -eq 3 ] || { cat "$T/b1.out"; fail "batch 1 exited $rc, want 3 (the lower-case twin refused)"; }
grep -q "^zlow.csr: duplicate in this batch: CN $(echo $UP | tr 'A-F' 'a-f') is requested by up.csr too" "$T/b1/rejected.txt" ||
	fail "case twin in the batch: $(cat "$T/b1/rejected.txt")"
# ... and in a later batch
lmp_csr "$T/in2" low2 "$(echo $PROD | tr 'a-f' 'A-F')" production
rc=0
airca batch sign --ca dca1 --in "$T/in2" --out "$T/b1x" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 3 ] || fail "a case twin across batches was signed (rc $rc)"
grep -q "^low2.csr: duplicate: CN 1111AAAA-2222-4333-8444-555555555555 was issued before (serial [0-9a-f]*, as $PROD)" "$T/b1x/rejected.txt" ||
	fail "case twin across batches: $(cat "$T/b1x/rejected.txt")"

# ... and one at a time (airca sign)
rc=0
airca sign --profile device --ca dca1 --in "$T/in2/low2.csr" --out "$T/low2.pem" 2>"$T/s.err" >/dev/null || rc=$?
[ "$rc" -ne 0 ] && grep -q "duplicate: CN 1111AAAA-2222-4333-8444-555555555555 was issued before" "$T/s.err" ||
	fail "sign took a case twin (rc $rc): $(cat "$T/s.err")"

# every device certificate, as the API and the gateway verify it (ClientAuth)
"$FA" verify-device "$ST" "$T/b1/$PROD.pem" "$T/b1/$DEV.pem" "$T/b1/$UP.pem" > "$T/v1" || { cat "$T/v1"; fail "verify-device"; }
grep -q "^ok $T/b1/$PROD.pem CN=$PROD OU=acme businessCategory=production " "$T/v1" || fail "production mark: $(cat "$T/v1")"
grep -q "^ok $T/b1/$DEV.pem CN=$DEV OU=acme businessCategory= " "$T/v1" || fail "non-production: $(cat "$T/v1")"

# a device registered through the API's online CA (lmp-device-register's
# request signed by its key as factory-registration-ref's sign_device_csr
# does: subject copied, serial = the UUID's hex, critical digitalSignature
# and clientAuth); the API holds that key, the test plays the API
ONL=2222bbbb-3333-4444-8555-666666666666
mkdir -p "$T/in5"
lmp_csr "$T/in5" onl $ONL production
printf 'keyUsage=critical,digitalSignature\nextendedKeyUsage=critical,clientAuth\nauthorityKeyIdentifier=keyid\n' > "$T/onl.ext"
openssl x509 -req -in "$T/in5/onl.csr" -CA "$T/o1/online-ca.pem" -CAkey "$T/online.key" \
	-set_serial "0x${ONL//-/}" -days 7300 -extfile "$T/onl.ext" -out "$T/onl.pem" 2>/dev/null ||
	fail "the online CA could not sign"
"$FA" verify-device "$ST" --register "$T/onl.pem" > "$T/v0" || fail "online CA's device: $(cat "$T/v0")"
grep -q "^ok $T/onl.pem CN=$ONL OU=acme businessCategory=production serial=$(dec "${ONL//-/}") issuer=$(dec "$(serial_of "$T/o1/online-ca.pem")")$" "$T/v0" ||
	fail "online CA's device: $(cat "$T/v0")"

# ---- the gateway: crypto/tls, client certificates from the ca-crt pool ----
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/rogue.key" \
	-subj "/CN=11111111-2222-4333-8444-777777777777/OU=acme" -days 30 \
	-addext "extendedKeyUsage=clientAuth" -out "$T/rogue.pem" 2>/dev/null
openssl x509 -in "$T/o1/root.pem" -out "$T/root.pem"
"$FA" gateway "$ST" "$T/tls.key" "$T/port" 4 > "$T/gw.out" 2>&1 &
GW=$!
for _ in $(seq 100); do [ -s "$T/port" ] && break; sleep 0.1; done
[ -s "$T/port" ] || fail "the gateway did not start: $(cat "$T/gw.out")"
device() {	# CERT KEY: a device connects, checking the gateway as aktualizr does
	printf 'hello\n' | timeout 20 openssl s_client -connect "127.0.0.1:$(cat "$T/port")" \
		-servername acme.ota-lite.fio -verify_hostname acme.ota-lite.fio \
		-CAfile "$T/root.pem" -verify_return_error -cert "$1" -key "$2" \
		-quiet 2>&1 || true
}
device "$T/b1/$PROD.pem" "$T/prod.key" > "$T/d1"
device "$T/b1/$DEV.pem" "$T/dev.key" > "$T/d2"
device "$T/rogue.pem" "$T/rogue.key" > "$T/d3"
device "$T/onl.pem" "$T/onl.key" > "$T/d4"
wait "$GW" || fail "gateway: $(cat "$T/gw.out")"
grep -q "^welcome $PROD$" "$T/d1" || fail "production device not welcomed: $(cat "$T/d1")"
grep -q "^welcome $DEV$" "$T/d2" || fail "device not welcomed: $(cat "$T/d2")"
grep -q "^welcome" "$T/d3" && fail "a device of no CA in ca-crt was welcomed"
grep -q "^welcome $ONL$" "$T/d4" || fail "the online CA's device not welcomed: $(cat "$T/d4")"
grep -q "^accepted CN=$PROD OU=acme businessCategory=production serial=" "$T/gw.out" || fail "gateway: $(cat "$T/gw.out")"
grep -q "^accepted CN=$DEV OU=acme businessCategory= serial=" "$T/gw.out" || fail "gateway: $(cat "$T/gw.out")"
grep -q "^refused: .*certificate" "$T/gw.out" || fail "gateway took the rogue device: $(cat "$T/gw.out")"

# ---- TLS rotation (fioctl keys ca rotate-tls): tls-crt alone ----
api_csr tls2 "/CN=ota-lite.fio" "DNS:acme.ota-lite.fio,DNS:acme.ostree.fio"
api_response "$T/rot.json" tls="$T/tls2.csr"
# --current has no place in a rotation: refused before the PIN
expect_fail 2 "leave --current out" airca_nopin api sign --rotate-tls --current "$ST" --in "$T/rot.json" --out "$T/o2"
expect_fail 1 "this is a TLS rotation .*leave --current out" airca api sign --current "$ST" --in "$T/rot.json" --out "$T/o2"
airca api sign --rotate-tls --in "$T/rot.json" --out "$T/o2" >/dev/null
[ "$(keys "$T/o2/upload.json")" = "tls-crt" ] || fail "rotate: $(keys "$T/o2/upload.json")"
patch "$T/o2/upload.json" | grep -q '^patched tls-crt ' || fail "rotate PATCH"

# ---- EST (fioctl keys est authorize): est-tls-csr alone, est-tls-crt alone ----
api_csr est "/CN=ota-lite.fio" "DNS:acme.est.fio"
api_response "$T/est.json" est="$T/est.csr"
airca api sign --in "$T/est.json" --out "$T/o2e" >/dev/null
[ "$(keys "$T/o2e/upload.json")" = "est-tls-crt" ] || fail "est: $(keys "$T/o2e/upload.json")"
patch "$T/o2e/upload.json" | grep -q '^patched est-tls-crt ' || fail "est PATCH"

# ---- a second local CA (fioctl keys ca add-device-ca --local-ca), from the API's list ----
airca device-ca create --user-id owner2 --label dca2 >/dev/null
lmp_csr "$T/in3" d2 11111111-2222-4333-8444-999999999999
airca batch sign --ca dca2 --in "$T/in3" --out "$T/b3" >/dev/null
airca api device-cas --current "$ST" --out "$T/o3" >/dev/null
[ "$(keys "$T/o3/upload.json")" = "ca-crt" ] || fail "add-device-ca: $(keys "$T/o3/upload.json")"
patch "$T/o3/upload.json" | grep -q '^patched ca-crt (3 device CAs' || fail "add-device-ca PATCH: $(cat "$T/patch.out")"
D2=$T/b3/11111111-2222-4333-8444-999999999999.pem
"$FA" verify-device "$ST" --register "$D2" >/dev/null || fail "dca2's device does not register"

# ---- disable, enable, revoke: the root's CRL in ca-revoke-crl ----
S2=$(grep '"event":"cert-issued"' "$AIRCA_HOME/journal.jsonl" | grep '"label":"dca2"' | sed 's/.*"serial":"\([0-9a-f]*\)".*/\1/' | head -1)
[ -n "$S2" ] || fail "no serial for dca2"
airca device-ca disable --serial "$S2" --out "$T/o4" >/dev/null
"$FA" crl "$T/root.pem" <(json_get "$T/o4/upload.json" ca-revoke-crl) > "$T/crl4" || fail "ca-revoke-crl: $(cat "$T/crl4")"
grep -q "^$(dec "$S2") 6$" "$T/crl4" || fail "disable CRL: $(cat "$T/crl4")"
patch "$T/o4/upload.json" | grep -q "disabled \[$(dec "$S2")\]" || fail "disable PATCH: $(cat "$T/patch.out")"
# disabled: registered devices keep connecting, no new registrations
"$FA" verify-device "$ST" "$D2" >/dev/null || fail "a disabled CA's device was cut off"
rc=0; "$FA" verify-device "$ST" --register "$D2" > "$T/v4" || rc=$?
[ "$rc" -eq 3 ] && grep -q "is disabled: no new registrations" "$T/v4" || fail "disabled CA registered a device: $(cat "$T/v4")"
airca device-ca enable --serial "$S2" --out "$T/o5" >/dev/null
patch "$T/o5/upload.json" | grep -q "disabled \[\])" || fail "enable PATCH: $(cat "$T/patch.out")"
airca device-ca revoke --serial "$S2" --out "$T/o6" >/dev/null
patch "$T/o6/upload.json" | grep -q '(2 device CAs' || fail "revoke PATCH: $(cat "$T/patch.out")"
rc=0; "$FA" verify-device "$ST" "$D2" > "$T/v6" || rc=$?
[ "$rc" -eq 3 ] || fail "a revoked CA's device still verifies: $(cat "$T/v6")"

# ---- a device CRL (for relying parties of one's own; the API has no field for it) ----
LOST=11111111-2222-4333-8444-aaaaaaaaaaaa
lmp_csr "$T/in4" lost $LOST
airca batch sign --ca dca1 --in "$T/in4" --out "$T/b4" >/dev/null
SD=$(serial_of "$T/b4/$LOST.pem")
airca revoke --serial "$SD" --reason keyCompromise >/dev/null
airca crl --ca dca1 --out "$T/dca1.crl" >/dev/null
awk '/BEGIN CERTIFICATE/ {c++} c == 2' "$T/b4/$LOST.pem" > "$T/dca1.pem"
"$FA" crl "$T/dca1.pem" "$T/dca1.crl" > "$T/crl7" || fail "device CRL: $(cat "$T/crl7")"
grep -q "^$(dec "$SD") 1$" "$T/crl7" || fail "device CRL lacks the device: $(cat "$T/crl7")"

# ---- renewals the API must learn of write their upload.json ----
airca renew --profile tls --expiring 36500 --out "$T/r1" >"$T/r1.out"
[ "$(keys "$T/r1/upload.json")" = "tls-crt" ] || fail "renew tls: $(ls "$T/r1")"
(cd "$T/r1" && sha256sum -c --quiet SHA256SUMS) || fail "renew SHA256SUMS"
patch "$T/r1/upload.json" | grep -q '^patched tls-crt ' || fail "renew tls PATCH"
airca renew --profile device-ca --expiring 36500 --out "$T/r2" >"$T/r2.out"
[ "$(keys "$T/r2/upload.json")" = "ca-crt" ] || fail "renew device-ca: $(ls "$T/r2")"
patch "$T/r2/upload.json" | grep -q '^patched ca-crt (2 device CAs' || fail "renew device-ca PATCH: $(cat "$T/patch.out")"
# the devices of the renewed CA's earlier certificate still verify (same key)
"$FA" verify-device "$ST" "$T/b1/$PROD.pem" >/dev/null || fail "renewal cut off the CA's devices"
# a re-run of the same stick: skipped and re-exported with the renewed chain
# (into the old --out, whose files carry the earlier chain: said so)
expect_fail 1 "exists with this certificate but another chain: the device CA's certificate was renewed" \
	airca batch sign --ca dca1 --in "$IN" --out "$T/b1"
airca batch sign --ca dca1 --in "$IN" --out "$T/b2" >"$T/b2.out" 2>&1 || true
python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); st=sorted(c["status"] for c in s["certificates"]); print(" ".join(st))' \
	"$T/b2/summary.json" | grep -qx "skipped skipped skipped" || fail "re-run after renewal: $(cat "$T/b2.out"; cat "$T/b2/rejected.txt")"
[ "$(serial_of "$T/b2/$PROD.pem")" = "$(serial_of "$T/b1/$PROD.pem")" ] || fail "re-run re-signed"
"$FA" verify-device "$ST" "$T/b2/$PROD.pem" > "$T/v8" || fail "re-exported device: $(cat "$T/v8")"
echo "go-factory ok"
