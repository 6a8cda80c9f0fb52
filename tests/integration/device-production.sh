#!/usr/bin/env bash
# Production devices keep their mark: lmp-device-register --production puts
# businessCategory=production in the CSR subject (CN = device UUID, OU =
# factory, then businessCategory; src/openssl.cpp of lmp-device-register),
# and the device certificate must carry it.  An attribute the device profile
# drops is warned about and journaled (subject-dropped), never silent.
# Upper-case UUIDs, which lmp-device-register's validate_uuid accepts, sign.
. "$(dirname "$0")/../lib.sh"

init_ca acme
H=$AIRCA_HOME
airca device-ca create --user-id u1 --label dca1 >/dev/null
IN=$T/in OUT=$T/out
mkdir -p "$IN"

# as lmp-device-register builds them (openssl CLI, same subject order)
lmp_csr() {	# NAME UUID [production]
	local subj="/CN=$2/OU=acme"
	[ "${3:-}" = production ] && subj="$subj/businessCategory=production"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$T/$1.key" -subj "$subj" \
		-addext "keyUsage=critical,digitalSignature" \
		-addext "extendedKeyUsage=critical,clientAuth" \
		-out "$IN/$1.csr" 2>/dev/null
}
lmp_csr prod 11111111-2222-4333-8444-555555555555 production
lmp_csr dev 11111111-2222-4333-8444-666666666666
lmp_csr upper 0F8E2B1A-3C4D-4E5F-8A9B-0C1D2E3F4A5B production
# a subject attribute no rule names: signed without it, but said so
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/o.key" \
	-subj "/CN=11111111-2222-4333-8444-777777777777/OU=acme/O=Somebody" \
	-out "$IN/withorg.csr" 2>/dev/null
# businessCategory other than production: refused (fixed=production)
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/b.key" \
	-subj "/CN=11111111-2222-4333-8444-888888888888/OU=acme/businessCategory=staging" \
	-out "$IN/staging.csr" 2>/dev/null

rc=0
airca batch sign --ca dca1 --in "$IN" --out "$OUT" >"$T/b.out" 2>"$T/b.err" || rc=$?
[ "$rc" -eq 3 ] || { cat "$T/b.err"; fail "batch exited $rc, want 3 (staging refused)"; }

subj() { openssl x509 -in "$OUT/$1.pem" -noout -subject -nameopt RFC2253; }
subj 11111111-2222-4333-8444-555555555555 |
	grep -q '^subject=businessCategory=production,OU=acme,CN=11111111-2222-4333-8444-555555555555$' ||
	fail "production device lost its mark: $(subj 11111111-2222-4333-8444-555555555555)"
subj 11111111-2222-4333-8444-666666666666 | grep -q 'businessCategory' &&
	fail "a non-production device got businessCategory"
subj 0F8E2B1A-3C4D-4E5F-8A9B-0C1D2E3F4A5B | grep -q 'businessCategory=production,OU=acme,CN=0F8E2B1A' ||
	fail "upper-case UUID not signed with its mark"
subj 11111111-2222-4333-8444-777777777777 | grep -q 'O=Somebody' && fail "O kept though no rule names it"
grep -q "staging.csr: .*businessCategory is 'staging' but the policy requires 'production'" "$OUT/rejected.txt" ||
	fail "staging not refused: $(cat "$OUT/rejected.txt")"

# the drop is said (stderr) and journaled with the certificate
grep -q "dropped subject attributes .* from 1 request" "$T/b.err" || { cat "$T/b.err"; fail "no warning for the drop"; }
grep '"event":"cert-issued"' "$H/journal.jsonl" | grep '"subject-dropped":"O"' |
	grep -q '11111111-2222-4333-8444-777777777777' || fail "drop not journaled"

# the same through 'airca sign' (one request): a warning on stderr
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/l.key" \
	-subj "/CN=11111111-2222-4333-8444-999999999999/OU=acme/L=Berlin/businessCategory=production" \
	-out "$T/one.csr" 2>/dev/null
airca sign --profile device --ca dca1 --in "$T/one.csr" --out "$T/one.pem" 2>"$T/s.err" >/dev/null ||
	{ cat "$T/s.err"; fail "sign"; }
grep -q "profile device drops L from the request's subject" "$T/s.err" || { cat "$T/s.err"; fail "sign: no warning"; }
openssl x509 -in "$T/one.pem" -noout -subject | grep -q 'businessCategory *= *production' || fail "sign: mark lost"

echo ok
