#!/usr/bin/env bash
# The evidence cannot be rewritten and state does not drift (issue 10): the
# audit certificate is pinned by the root, a hand-appended line is never
# signed, the registry and CRL numbers are replayed from the journal, and
# the certificate files are the journal's.
. "$(dirname "$0")/../lib.sh"

init_ca acme
H=$AIRCA_HOME
J=$H/journal.jsonl
V=$TOP/docs/verify-journal.sh
GEN="$TOP/$AIRCA_BUILD/tests/gen-csrs"

airca device-ca create --user-id owner1 --label dca1 >/dev/null
d1=$(airca list | awk '$4 ~ /fio-owner1/ { print $NF }')
[ -n "$d1" ] || fail "no device CA"

# 1. a certificate of the root whose key is elsewhere (the gateway's tls
#    certificate, subject made to look like the audit's) is not the audit
#    certificate: a journal re-signed with it fails both verifiers.
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/gw.key" -subj "/CN=airca audit/OU=acme" \
	-addext "subjectAltName=DNS:gw.acme.example" -out "$T/gw.csr" 2>/dev/null
api_response "$T/resp.json" tls="$T/gw.csr"
airca api sign --in "$T/resp.json" --out "$T/api" >/dev/null 2>&1 || fail "api sign"
cp "$T/api/tls.pem" "$T/fake-audit.pem"
expect_fail 5 "substituted" airca_nopin journal verify --audit-cert "$T/fake-audit.pem"
rc=0; sh "$V" "$J" "$H/root.pem" "$T/fake-audit.pem" 2>"$T/v.err" || rc=$?
[ "$rc" -eq 5 ] || fail "recipe accepted a substituted audit certificate ($rc)"
# even with the EKU the audit alone may carry, the pin names another
grep -q "documentSigning\|another audit certificate" "$T/v.err" || fail "recipe: $(cat "$T/v.err")"
# the pin itself: a journal whose pin is dropped and re-chained fails too
awk '!/"event":"audit-pin"/' "$J" >"$T/nopin.jsonl"
expect_fail 5 "" airca_nopin journal verify --journal "$T/nopin.jsonl" --audit-cert "$H/audit.pem" --root "$H/root.pem"
rc=0; sh "$V" "$T/nopin.jsonl" "$H/root.pem" "$H/audit.pem" 2>/dev/null || rc=$?
[ "$rc" -eq 5 ] || fail "recipe accepted a journal without its pin"

# 2. a line appended by hand with a correct chain is never signed
h=$(tail -n 1 "$J" | tr -d '\n' | sha256sum | cut -c1-64)
n=$(($(wc -l <"$J") + 1))
printf '{"seq":%d,"time":"2026-01-01T00:00:00Z","ceremony":"x","event":"cert-status","actor":"mallory","data":{"serial":"%s","status":"revoked","reason":9},"prev":"%s"}\n' \
	"$n" "$d1" "$h" >>"$J"
cp "$J" "$T/forged.jsonl"
expect_fail 1 "seq $n..$n.*no signature covers.*cert-status" airca device-ca create --user-id owner2
expect_fail 1 "no signature covers" airca journal seal
expect_fail 1 "unsigned" airca_nopin registry rebuild
# nothing was appended or signed over it by the refused commands
cmp -s "$J" "$T/forged.jsonl" || fail "a refused command wrote to the journal"
expect_fail 5 "unsigned" airca_nopin journal verify
# a read-only command leaves the forged revocation out, and says so
airca_nopin list >"$T/list" 2>"$T/list.err"
grep -q "unsigned" "$T/list.err" || fail "list did not warn about the tail"
awk -v s="$d1" '$NF == s' "$T/list" | grep -q valid || fail "the forged revocation was applied"
# the officers discard it: kept beside the journal, journaled, signed
airca journal repair --discard --yes >"$T/rep" || fail "repair --discard"
[ -f "$H/journal-discarded-$n-$n.jsonl" ] || fail "discarded lines not kept"
grep -q '"event":"journal-tail-discarded"' "$J" || fail "discard not journaled"
airca_nopin journal verify >/dev/null || fail "journal after discard"
sh "$V" "$J" "$H/root.pem" "$H/audit.pem" >/dev/null || fail "recipe after discard"

# 3. the registry is a cache: an edit is ignored (and reported), never trusted
airca device-ca revoke --serial "$d1" --out "$T/rv" >/dev/null 2>&1 || fail "revoke"
grep -q "\"serial\":\"$d1\".*\"status\":\"revoked\"" "$H/registry.jsonl" || fail "registry lacks the revocation"
sed -i "s/\(\"serial\":\"$d1\".*\"status\":\"\)revoked/\1valid/" "$H/registry.jsonl"
mkdir -p "$T/in"
"$GEN" "$T/in" 2 acme dev-
expect_fail 1 "revoked" airca batch sign --ca dca1 --in "$T/in" --out "$T/bo"
grep -q "is not what the journal says" "$T/.stderr" || fail "the edited registry was not reported"
[ -e "$T/bo/summary.json" ] && fail "a revoked CA signed a batch"
# and it was rewritten from the journal
grep -q "\"serial\":\"$d1\".*\"status\":\"revoked\"" "$H/registry.jsonl" || fail "registry not rewritten"

# 4. a certificate file replaced in HOME/certs is refused where it is used
airca device-ca create --user-id owner3 --label dca3 >/dev/null
d3=$(airca list | awk '$4 ~ /fio-owner3/ { print $NF }')
cp "$H/certs/$d3.pem" "$T/d3.pem"
cp "$T/api/tls.pem" "$H/certs/$d3.pem"
expect_fail 1 "not the certificate the journal issued" airca batch sign --ca dca3 --in "$T/in" --out "$T/bo3"
cp "$T/d3.pem" "$H/certs/$d3.pem"

# 5. CRL numbers are journal state: with crl/ and the registry lost, the
#    root still signs the next number, never a second number 1
airca crl --ca airca-root --out "$T/c1.pem" >/dev/null
airca crl --ca airca-root --out "$T/c2.pem" >/dev/null
num() { echo $((16#$(openssl crl -in "$1" -noout -crlnumber | sed 's/crlNumber=0x//'))); }
n2=$(num "$T/c2.pem")
rm -rf "$H/crl" "$H/registry.jsonl"
airca_nopin registry rebuild >/dev/null || fail "rebuild"
grep -q '"crl-number"' "$H/registry.jsonl" || fail "rebuild dropped the CRL numbers"
airca crl --ca airca-root --out "$T/c3.pem" >/dev/null
[ "$(num "$T/c3.pem")" -eq $((n2 + 1)) ] || fail "CRL number $(num "$T/c3.pem") after $n2"

# 6. the stale cache after a kill: caught up from the journal
cp "$H/registry.jsonl" "$T/reg.before"
airca device-ca create --user-id owner4 >/dev/null
cp "$T/reg.before" "$H/registry.jsonl"	# as if killed before the registry was saved
airca list >"$T/l4" 2>"$T/l4.err"
grep -q "fio-owner4" "$T/l4" || fail "a stale registry hid a certificate the journal issued"
echo ok
