#!/usr/bin/env bash
# api sign knows first-time setup from TLS rotation from adding an online
# CA by the home's journal (root-crt-exported), takes --first-time,
# --rotate-tls, --add-online-ca, refuses contradictions, and writes exactly
# the PATCH fields of fioctl's matching command (docs/api.md):
#   keys ca create --online-ca=false  root-crt, tls-crt, ca-crt
#   keys ca rotate-tls                tls-crt
#   keys ca add-device-ca --online-ca ca-crt
# An unknown key in the response (a typo) is refused with the key named.
. "$(dirname "$0")/../lib.sh"

init_ca acme
H=$AIRCA_HOME
keys() { python3 -c 'import json,sys; print(" ".join(sorted(json.load(open(sys.argv[1])))))' "$1"; }

airca device-ca create --user-id owner1 >/dev/null
make_csr tls "/CN=ota-lite.acme.example/OU=acme" "DNS:ota-lite.acme.example"
make_csr tlsb "/CN=ota-lite.acme.example/OU=acme" "DNS:ota-lite.acme.example"
make_csr tls2 "/CN=ota-lite.acme.example/OU=acme" "DNS:ota-lite.acme.example"
make_csr ca "/CN=online-ca/OU=acme"

# a typo never turns a first-time setup into a rotation
printf '{"tls-csr": %s, "est_tls_csr": "x"}\n' "$(json_str "$T/tls.csr")" > "$T/typo.json"
expect_fail 1 'unknown key "est_tls_csr"' airca api sign --in "$T/typo.json" --out "$T/o0"

# intents that contradict a fresh home
api_response "$T/first.json" tls="$T/tls.csr"
expect_fail 1 "never wrote root-crt.*first-time" airca api sign --rotate-tls --in "$T/first.json" --out "$T/o0"
api_response "$T/online.json" ca="$T/ca.csr"
expect_fail 1 "never wrote root-crt" airca api sign --in "$T/online.json" --out "$T/o0" --add-online-ca
expect_fail 1 "no tls-csr" airca api sign --in "$T/online.json" --out "$T/o0"
expect_fail 2 "--first-time and --rotate-tls contradict each other" airca api sign --first-time --rotate-tls --in "$T/first.json" --out "$T/o0"
grep -q '"event":"cert-issued"' "$H/journal.jsonl" && grep '"event":"cert-issued"' "$H/journal.jsonl" | grep -q '"profile":"tls"' &&
	fail "a refused run signed something"

# first time, no online CA (fioctl keys ca create --online-ca=false): tls-csr
# alone in the response, and still root-crt, tls-crt, ca-crt (the local CA)
airca api sign --in "$T/first.json" --out "$T/o1" >/dev/null
[ "$(keys "$T/o1/upload.json")" = "ca-crt root-crt tls-crt" ] || fail "first time: $(keys "$T/o1/upload.json")"
grep -q '"event":"root-crt-exported"' "$H/journal.jsonl" || fail "root-crt-exported not journaled"
# the same response again: still the first-time setup, re-exported
airca api sign --in "$T/first.json" --out "$T/o1b" >/dev/null
[ "$(keys "$T/o1b/upload.json")" = "ca-crt root-crt tls-crt" ] || fail "re-run: $(keys "$T/o1b/upload.json")"

# now set up: --first-time is refused; no intent + tls-csr = rotation
api_response "$T/rot.json" tls="$T/tls2.csr"
expect_fail 1 "already written to an upload bundle" airca api sign --first-time --in "$T/rot.json" --out "$T/o2"
airca api sign --rotate-tls --in "$T/rot.json" --out "$T/o2" >/dev/null
[ "$(keys "$T/o2/upload.json")" = "tls-crt" ] || fail "rotation: $(keys "$T/o2/upload.json")"

# fioctl keys est authorize: est-tls-csr alone is a rotation, est-tls-crt only
make_csr est "/CN=est.acme.example/OU=acme" "DNS:est.acme.example"
api_response "$T/est.json" est="$T/est.csr"
airca api sign --in "$T/est.json" --out "$T/o2e" >/dev/null
[ "$(keys "$T/o2e/upload.json")" = "est-tls-crt" ] || fail "est: $(keys "$T/o2e/upload.json")"

# adding an online CA later: ca-crt only, with the online CA in it
expect_fail 1 "must hold ca-csr alone" airca api sign --add-online-ca --in "$T/rot.json" --out "$T/o3"
airca api sign --add-online-ca --in "$T/online.json" --out "$T/o3" >/dev/null
[ "$(keys "$T/o3/upload.json")" = "ca-crt" ] || fail "add online CA: $(keys "$T/o3/upload.json")"
[ "$(grep -c 'BEGIN CERTIFICATE' "$T/o3/device-cas.pem")" -eq 2 ] || fail "ca-crt lacks the online or local CA"

# both CSRs after setup: which is it? the officers must say, and it is refused
make_csr ca2 "/CN=online-ca/OU=acme"
make_csr tls3 "/CN=ota-lite.acme.example/OU=acme" "DNS:ota-lite.acme.example"
api_response "$T/both.json" tls="$T/tls3.csr" ca="$T/ca2.csr"
expect_fail 1 "state what this is" airca api sign --in "$T/both.json" --out "$T/o4"
expect_fail 1 "holds a ca-csr" airca api sign --rotate-tls --in "$T/both.json" --out "$T/o4"

# the state is the journal's: a rebuilt registry knows the same
airca registry rebuild >/dev/null
expect_fail 1 "already written" airca api sign --first-time --in "$T/both.json" --out "$T/o4"
echo "api-sign-intent ok"
