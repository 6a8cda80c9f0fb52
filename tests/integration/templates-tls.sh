#!/usr/bin/env bash
# User-defined profiles (issue 16): a server and a client profile of
# policy.conf, each of a vetted kind, sign requests whose certificates then
# complete a mutual-TLS handshake between openssl s_server -Verify 1 and
# s_client on loopback (the openssl processes talk; airca never does).  The
# addition is journaled as policy-changed; a profile that sets an extension
# or an unlimited CA is refused with its line, nothing signed under it.
. "$(dirname "$0")/../lib.sh"

init_ca acme
H=$AIRCA_HOME
J=$H/journal.jsonl
cat >>"$H/policy.conf" <<'POL'

[profile web]
kind = server
issuer = root
days = 398
CN = supplied, max=64
O = fixed=Acme Hosts
san_dns = required
san_ip = optional

[profile operator]
kind = client
days = 90
CN = supplied, pattern=^op-[a-z]+$
OU = fixed=operators
san_uri = optional
POL

make_csr srv "/CN=localhost/L=Dropped" "DNS:localhost,IP:127.0.0.1,IP:::1,email:x@y"
make_csr cli "/CN=op-alice" "URI:spiffe://acme/op/alice,DNS:ignored.example"
airca sign --profile web --in "$T/srv.csr" --out "$T/srv.pem" >"$T/out" 2>"$T/err" ||
	{ cat "$T/err"; fail "server certificate under a user profile"; }
grep -q "signed as web" "$T/out" || fail "sign output"
airca sign --profile operator --in "$T/cli.csr" --out "$T/cli.pem" >/dev/null 2>"$T/err" ||
	{ cat "$T/err"; fail "client certificate under a user profile"; }

# the kinds' extensions, the rules' subjects and SANs
t=$(cert_text "$T/srv.pem")
echo "$t" | grep -A1 'Basic Constraints: critical' | grep -q 'CA:FALSE' || fail "server bc"
echo "$t" | grep -A1 'Key Usage: critical' | grep -q '^ *Digital Signature$' || fail "server ku"
echo "$t" | grep -A1 'Extended Key Usage' | grep -q '^ *TLS Web Server Authentication$' || fail "server eku"
echo "$t" | grep -A1 'Subject Alternative Name' | grep -q 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1$' ||
	{ echo "$t" | grep -A1 'Subject Alternative Name'; fail "server SAN: DNS and IPs, no email"; }
openssl x509 -in "$T/srv.pem" -noout -subject -nameopt RFC2253 | grep -q '^subject=O=Acme Hosts,CN=localhost$' ||
	fail "server subject: CN then the fixed O, the request's L dropped"
t=$(cert_text "$T/cli.pem")
echo "$t" | grep -A1 'Extended Key Usage' | grep -q '^ *TLS Web Client Authentication$' || fail "client eku"
echo "$t" | grep -A1 'Subject Alternative Name' | grep -q '^ *URI:spiffe://acme/op/alice$' || fail "client SAN: the URI alone"
na=$(date -d "$(openssl x509 -in "$T/cli.pem" -noout -enddate | cut -d= -f2)" +%s)
[ $(( (na - $(date +%s)) / 86400 )) -le 90 ] || fail "client validity is the profile's 90 days"
openssl verify -CAfile "$H/root.pem" -purpose sslserver "$T/srv.pem" >/dev/null || fail "server verify"
openssl verify -CAfile "$H/root.pem" -purpose sslclient "$T/cli.pem" >/dev/null || fail "client verify"
openssl verify -CAfile "$H/root.pem" -purpose sslserver "$T/cli.pem" >/dev/null 2>&1 && fail "a client certificate passes as a server"

# the profiles' addition is a journaled policy change, before the first certificate
pc=$(grep '"event":"policy-changed"' "$J") || fail "no policy-changed entry"
echo "$pc" | grep -q '\[profile web\]\\nkind = server\\nissuer = root\\ndays = 398' || fail "policy-changed lacks the web profile"
echo "$pc" | grep -q '\[profile operator\]\\nkind = client' || fail "policy-changed lacks the operator profile"
grep '"event":"cert-issued"' "$J" | grep -q '"profile":"web"' || fail "cert-issued under web"

# mutual TLS on loopback: s_server demands a client certificate (-Verify 1)
port=$(( 20000 + RANDOM % 20000 ))
openssl s_server -accept "127.0.0.1:$port" -naccept 1 -Verify 1 -verify_return_error \
	-cert "$T/srv.pem" -key "$T/srv.key" -CAfile "$H/root.pem" >"$T/s_server.out" 2>&1 < <(sleep 10) &
spid=$!
for _ in $(seq 50); do grep -q ACCEPT "$T/s_server.out" && break; sleep 0.1; done
grep -q ACCEPT "$T/s_server.out" || { kill "$spid" || true; cat "$T/s_server.out"; fail "s_server did not start"; }
echo Q | openssl s_client -connect "127.0.0.1:$port" -verify_return_error -verify_hostname localhost \
	-CAfile "$H/root.pem" -cert "$T/cli.pem" -key "$T/cli.key" >"$T/s_client.out" 2>&1 ||
	{ kill "$spid" 2>/dev/null || true; cat "$T/s_client.out" "$T/s_server.out"; fail "mutual TLS handshake"; }
wait "$spid" || true
grep -q 'Verify return code: 0 (ok)' "$T/s_client.out" || { cat "$T/s_client.out"; fail "s_client did not verify the server"; }
grep -q 'verify return:1' "$T/s_server.out" || { cat "$T/s_server.out"; fail "s_server did not verify the client"; }
grep -q 'subject=.*CN *= *op-alice' "$T/s_server.out" || { cat "$T/s_server.out"; fail "s_server saw no client certificate"; }

# a server certificate as the client: s_server refuses it
port=$(( 20000 + RANDOM % 20000 ))
openssl s_server -accept "127.0.0.1:$port" -naccept 1 -Verify 1 -verify_return_error \
	-cert "$T/srv.pem" -key "$T/srv.key" -CAfile "$H/root.pem" >"$T/s_server.out" 2>&1 < <(sleep 10) &
spid=$!
for _ in $(seq 50); do grep -q ACCEPT "$T/s_server.out" && break; sleep 0.1; done
echo Q | openssl s_client -connect "127.0.0.1:$port" -CAfile "$H/root.pem" \
	-cert "$T/srv.pem" -key "$T/srv.key" >"$T/s_client.out" 2>&1 || true
wait "$spid" || true
grep -q 'unsuitable certificate purpose' "$T/s_server.out" || { cat "$T/s_server.out"; fail "a server certificate was taken as a client's"; }

# request refusals under the rules, with their reasons
make_csr bad "/CN=bob" "URI:spiffe://acme/op/bob"
expect_fail 1 "CN 'bob' does not match pattern" airca sign --profile operator --in "$T/bad.csr" --out "$T/bad.pem"
make_csr other "/CN=localhost/O=Other Inc" "DNS:localhost"
expect_fail 1 "O is 'Other Inc' but the policy requires 'Acme Hosts' \(fixed\)" airca sign --profile web --in "$T/other.csr" --out "$T/other.pem"
make_csr nodns "/CN=localhost" "IP:127.0.0.1"
expect_fail 1 "profile web needs at least one DNS name in the request's subjectAltName \(san_dns = required\)" \
	airca sign --profile web --in "$T/nodns.csr" --out "$T/nodns.pem"
expect_fail 2 "profile web is issued by root" airca sign --profile web --ca dca1 --in "$T/nodns.csr" --out "$T/x.pem"
expect_fail 2 "--profile nosuch: use tls, est-tls, online-ca, device-ca or device, or a profile of .*/policy.conf" \
	airca sign --profile nosuch --in "$T/nodns.csr" --out "$T/x.pem"

# forbidden combinations are refused with their line; nothing signed or journaled
cp "$H/policy.conf" "$T/policy.ok"
line=$(( $(wc -l <"$H/policy.conf") + 1 ))
echo "keyUsage = keyCertSign" >>"$H/policy.conf"
n=$(wc -l <"$J")
make_csr cli2 "/CN=op-carol"
expect_fail 1 "policy.conf:$line: keyUsage: a policy file cannot set basicConstraints, keyUsage or extendedKeyUsage: kind client gives" \
	airca sign --profile operator --in "$T/cli2.csr" --out "$T/cli2.pem"
[ ! -e "$T/cli2.pem" ] || fail "signed under a refused policy"
cp "$T/policy.ok" "$H/policy.conf"
printf '\n[profile sub]\nkind = intermediate-ca\ndays = unlimited\n' >>"$H/policy.conf"
line=$(wc -l <"$H/policy.conf")
expect_fail 1 "policy.conf:$line: days = unlimited: kind intermediate-ca is a CA, and a CA may not outlive its issuer" \
	airca sign --profile operator --in "$T/cli2.csr" --out "$T/cli2.pem"
[ "$(wc -l <"$J")" -eq "$n" ] || fail "a refused policy was journaled"
cp "$T/policy.ok" "$H/policy.conf"
airca_nopin journal verify >/dev/null || fail "journal does not verify"
echo "templates-tls ok"
