#!/usr/bin/env bash
# TUI batch review: every request with CN, key type and rule result (a wrong OU rejected with its reason); nothing approved signs nothing; a selection is signed and the request left out is rejected 'not approved at review' (journaled, in rejected.txt); sign with the PIN typed, progress bar with count and rate; the certificates chain with openssl and the journal verifies.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux.bash"

init_ca acme
airca device-ca create --user-id u1 --label dca1 >/dev/null 2>&1 || fail "device-ca create"
IN=$T/usb/in OUT=$T/usb/out
mkdir -p "$IN"
"$TOP/$AIRCA_BUILD/tests/gen-csrs" "$IN" 12 acme dev- || fail "gen-csrs"
make_csr evil "/CN=12345678-1111-4222-8333-000000000001/OU=evil"
cp "$T/evil.csr" "$IN/zz-evil.csr"
# a hostile file name: reaches the screen escaped, never as a terminal control
cp "$T/evil.csr" "$IN/$(printf 'zz-\033[31m.csr')"
cn0=$(openssl req -in "$IN/dev-0000000.csr" -noout -subject | sed 's/.*CN *= *\([^,]*\).*/\1/')

tui_start
keys 6
tui_wait 'Enter: review a directory'
keys Enter
tui_wait 'Device CA token label'
type_text dca1; keys Enter
tui_wait 'Directory of device CSRs'
type_text "$IN"; keys Enter
tui_wait "14 requests: 12 to sign, 0 signed before, 2 rejected"
s=$(screen)
echo "$s"
echo "$s" | grep -qE "^ \[ \] dev-0000000.csr +$cn0 EC P-256 accept" || fail "first request row"
keys G
tui_wait "zz-evil.csr: reject: OU is 'evil' but the policy requires 'acme'"
screen | grep -qE '^ \[-\] zz-evil.csr +- +EC P-256 reject' || fail "rejected row"
screen | grep -qF 'zz-\x1b[31m.csr' || { screen; fail "hostile file name not shown escaped"; }
screen | grep -q 'zz-\.csr' && fail "a file name's escape reached the terminal"

# nothing approved: nothing signed
keys s
tui_wait 'nothing approved'
[ -e "$OUT" ] && fail "something was written"

# approve all, then take the first one back: 11 of 12 are signed
keys a
tui_wait '12 of 12 approved'
keys g ' '
tui_wait '11 of 12 approved'
keys s
tui_wait 'Output directory for the certificates'
type_text "$OUT"; keys Enter
tui_wait 'Sign 11 requests with dca1 into'
screen | grep -q 'leaving out 1 not approved' || fail "the question does not say one is left out"
keys y
tui_wait "user PIN for token 'airca'"
type_text "$TEST_PIN"; keys Enter
tui_wait 'signed 11, skipped 0, rejected 3 of 14 in'
screen | grep -qE '^ \[#+\] 14/14 +[0-9]+/s' || { screen; fail "progress bar"; }
no_secret "$TEST_PIN"
keys q
tui_exited 0

# what was signed, checked with openssl
[ "$(ls "$OUT"/*.pem | wc -l)" -eq 11 ] || fail "want 11 certificates"
[ -e "$OUT/$cn0.pem" ] && fail "the request left out was signed"
grep -q 'zz-evil.csr: ' "$OUT/rejected.txt" || fail "rejected.txt"
grep -q '^dev-0000000.csr: not approved at review' "$OUT/rejected.txt" || fail "rejected.txt lacks the request left out"
grep '"event":"csr-rejected"' "$AIRCA_HOME/journal.jsonl" | grep -q 'not approved at review' || fail "leaving out not journaled"
cn0=$(openssl req -in "$IN/dev-0000001.csr" -noout -subject | sed 's/.*CN *= *\([^,]*\).*/\1/')
(cd "$OUT" && sha256sum -c --quiet SHA256SUMS) || fail "SHA256SUMS"
openssl x509 -in "$OUT/$cn0.pem" -noout -subject | grep -q "CN *= *$cn0" || fail "cert subject"
openssl verify -CAfile "$AIRCA_HOME/root.pem" -untrusted "$OUT/$cn0.pem" "$OUT/$cn0.pem" >/dev/null || fail "chain"
airca journal verify >/dev/null || fail "journal verify"
grep -q '"event":"batch-end"' "$AIRCA_HOME/journal.jsonl" || fail "batch not journaled"
echo ok
