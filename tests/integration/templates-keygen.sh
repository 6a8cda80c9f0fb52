#!/usr/bin/env bash
# Keystores (issue 16): for a profile with keygen = allowed, 'airca keygen'
# makes device key pairs in memory (seeded from the token's RNG), certifies
# each through the usual lint-sign-verify path, and writes one PKCS#12 per
# device (AES-256-CBC, PBKDF2) whose random password is in a separate
# passwords.csv.  openssl pkcs12 -info opens each with its password, the key
# matches the certificate, the chain verifies; no device key reaches the
# home or the journal, which holds public keys and hashes only.
. "$(dirname "$0")/../lib.sh"

init_ca acme
H=$AIRCA_HOME
J=$H/journal.jsonl
cat >>"$H/policy.conf" <<'POL'

[profile host]
kind = server-client
days = 365
keygen = allowed
CN = supplied, pattern=^host-[0-9a-f]{16}$
O = fixed=Acme

[profile nokeys]
kind = client
days = 365
CN = supplied
POL

expect_fail 1 "--profile nokeys: keygen takes a profile of .* with keygen = allowed" \
	airca keygen --profile nokeys --count 1 --out "$T/ks0" --passwords "$T/pw0.csv"
expect_fail 1 "--passwords .*/ks/pw.csv: directory .*/ks does not exist" \
	airca keygen --profile host --count 1 --out "$T/ks" --passwords "$T/ks/pw.csv"
expect_fail 1 "CN 'dev-[0-9a-f]*' does not match pattern" \
	airca keygen --profile host --count 1 --cn-prefix dev --out "$T/ks1" --passwords "$T/pw1.csv"

mkdir "$T/stick2"
airca keygen --profile host --count 3 --out "$T/ks" --passwords "$T/stick2/passwords.csv" >"$T/out" 2>"$T/err" ||
	{ cat "$T/err"; fail "keygen"; }
grep -q '3 keystores in .* (PKCS#12, AES-256/PBKDF2); their passwords in .*passwords.csv' "$T/out" || { cat "$T/out"; fail "keygen output"; }
[ "$(ls "$T/ks" | grep -c '\.p12$')" -eq 3 ] || fail "three keystores"
head -1 "$T/stick2/passwords.csv" | grep -qx 'file,password' || fail "passwords.csv header"
[ "$(tail -n +2 "$T/stick2/passwords.csv" | wc -l)" -eq 3 ] || fail "three passwords"
[ "$(tail -n +2 "$T/stick2/passwords.csv" | cut -d, -f2 | sort -u | wc -l)" -eq 3 ] || fail "the passwords differ"
cat "$H/root.pem" >"$T/ca.pem"
while IFS=, read -r f pw; do
	[ "$f" = file ] && continue
	echo "$pw" | grep -qE '^[0-9a-f]{32}$' || fail "$f: a password of 128 random bits"
	p=$T/ks/$f
	openssl pkcs12 -info -in "$p" -passin "pass:$pw" -nokeys -noout >"$T/info" 2>&1 ||
		{ cat "$T/info"; fail "$f: pkcs12 -info"; }
	grep -q 'PBES2, PBKDF2, AES-256-CBC' "$T/info" || { cat "$T/info"; fail "$f: not AES-256/PBKDF2"; }
	grep -q 'MAC: sha256' "$T/info" || { cat "$T/info"; fail "$f: MAC not SHA-256"; }
	openssl pkcs12 -in "$p" -passin "pass:wrong" -noout >/dev/null 2>&1 && fail "$f opens with a wrong password"
	openssl pkcs12 -in "$p" -passin "pass:$pw" -nodes -nocerts -out "$T/key.pem" 2>/dev/null || fail "$f: key"
	openssl pkcs12 -in "$p" -passin "pass:$pw" -clcerts -nokeys -out "$T/cert.pem" 2>/dev/null || fail "$f: cert"
	openssl pkcs12 -in "$p" -passin "pass:$pw" -cacerts -nokeys -out "$T/chain.pem" 2>/dev/null || fail "$f: chain"
	[ "$(openssl pkey -in "$T/key.pem" -pubout)" = "$(openssl x509 -in "$T/cert.pem" -noout -pubkey)" ] ||
		fail "$f: the key does not match its certificate"
	cmp -s <(openssl x509 -in "$T/chain.pem") <(openssl x509 -in "$H/root.pem") || fail "$f: the chain is not the root"
	openssl verify -CAfile "$H/root.pem" -purpose sslclient "$T/cert.pem" >/dev/null || fail "$f: verify"
	openssl x509 -in "$T/cert.pem" -noout -subject -nameopt RFC2253 | grep -qx "subject=O=Acme,CN=${f%.p12}" || fail "$f: subject"
	openssl pkey -in "$T/key.pem" -noout -text | grep -q 'NIST CURVE: P-256' || fail "$f: EC P-256"
	spki=$(openssl x509 -in "$T/cert.pem" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -c1-64)
	grep '"event":"cert-issued"' "$J" | grep -q "\"spki\":\"$spki\"" || fail "$f: the public key is not journaled"
	grep '"event":"files-written"' "$J" | grep -q "\"$(sha256sum "$p" | cut -c1-64)\"" || fail "$f: the keystore's hash is not journaled"
	grep -q "$pw" "$J" && fail "$f: a password in the journal"
done <"$T/stick2/passwords.csv"
grep '"event":"files-written"' "$J" | grep -q "\"$(sha256sum "$T/stick2/passwords.csv" | cut -c1-64)\"" || fail "passwords.csv hash not journaled"
# no device key anywhere in the home, nothing private in the journal
grep -rl 'PRIVATE KEY' "$H" && fail "a private key in the home"
grep -q 'PRIVATE KEY' "$J" && fail "a private key in the journal"
[ "$(grep -c '"keygen":"in memory, seeded from the token' "$J")" -eq 3 ] || fail "cert-issued marks keygen"
airca_nopin journal verify >/dev/null || fail "journal does not verify"

# killed after its first keystore (SIGKILL on entry to the third rename: the
# second certificate into the home): that keystore's password is on the
# other stick already, each row synced before its keystore is written
mkdir "$T/stick3"
(ASAN_OPTIONS="${ASAN_OPTIONS:-}:detect_leaks=0" strace -f -qq -o /dev/null -e trace=renameat2 \
	-e inject=renameat2:signal=KILL:when=3 "$AIRCA_BIN" --pin-env TEST_PIN keygen --profile host \
	--count 3 --out "$T/ks3" --passwords "$T/stick3/passwords.csv" >/dev/null 2>&1; exit $?) 2>/dev/null &&
	fail "keygen was not killed"
[ "$(ls "$T/ks3" | grep -c '\.p12$')" -eq 1 ] || fail "killed keygen: want one keystore, have: $(ls "$T/ks3")"
for p in "$T/ks3"/*.p12; do
	pw=$(grep "^${p##*/}," "$T/stick3/passwords.csv" | cut -d, -f2)
	[ -n "$pw" ] || fail "killed keygen: ${p##*/} has no password"
	openssl pkcs12 -in "$p" -passin "pass:$pw" -noout 2>/dev/null || fail "killed keygen: ${p##*/} does not open"
done
airca_nopin journal verify >/dev/null 2>&1 || airca journal repair --adopt --yes >/dev/null ||
	fail "journal repair after the killed keygen"
airca_nopin journal verify >/dev/null || fail "journal does not verify after the killed keygen"
echo "templates-keygen ok"
