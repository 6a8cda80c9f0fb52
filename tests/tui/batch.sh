#!/usr/bin/env bash
# TUI batch review: every request with CN, key type and rule result (a wrong OU rejected with its reason); signing refused while an accepted request is unapproved; approve all, sign with the PIN typed, progress bar with count and rate; the certificates chain with openssl and the journal verifies.
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

# one approved is not the batch: refused
keys g ' '
tui_wait '1 of 12 approved'
keys s
tui_wait '11 accepted requests are not approved'
[ -e "$OUT" ] && fail "something was written"

keys a
tui_wait '12 of 12 approved'
keys s
tui_wait 'Output directory for the certificates'
type_text "$OUT"; keys Enter
tui_wait 'Sign 12 requests with dca1 into'
keys y
tui_wait "user PIN for token 'airca'"
type_text "$TEST_PIN"; keys Enter
tui_wait 'signed 12, skipped 0, rejected 2 of 14 in'
screen | grep -qE '^ \[#+\] 14/14 +[0-9]+/s' || { screen; fail "progress bar"; }
no_secret "$TEST_PIN"
keys q
tui_exited 0

# what was signed, checked with openssl
[ "$(ls "$OUT"/*.pem | wc -l)" -eq 12 ] || fail "want 12 certificates"
grep -q 'zz-evil.csr: ' "$OUT/rejected.txt" || fail "rejected.txt"
(cd "$OUT" && sha256sum -c --quiet SHA256SUMS) || fail "SHA256SUMS"
openssl x509 -in "$OUT/$cn0.pem" -noout -subject | grep -q "CN *= *$cn0" || fail "cert subject"
openssl verify -CAfile "$AIRCA_HOME/root.pem" -untrusted "$OUT/$cn0.pem" "$OUT/$cn0.pem" >/dev/null || fail "chain"
airca journal verify >/dev/null || fail "journal verify"
grep -q '"event":"batch-end"' "$AIRCA_HOME/journal.jsonl" || fail "batch not journaled"
echo ok
