#!/usr/bin/env bash
# TUI certificates and journal screens: the list sorted by expiry with 'soon' marked, search with '/', details with the SHA-256 fingerprint as hex groups and a QR code; the journal view, verify OK, then a changed byte reported with its seq.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux.bash"

init_ca acme
airca device-ca create --user-id u42 >/dev/null 2>&1 || fail "device-ca create"
airca device-ca create --user-id u43 >/dev/null 2>&1 || fail "device-ca create"
make_csr gw "/CN=gw.example.com" "DNS:gw.example.com"
airca sign --profile tls --in "$T/gw.csr" --out "$T/gw.pem" --days 10 >/dev/null 2>&1 || fail "sign tls"
fp=$(openssl x509 -in "$T/gw.pem" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f)

tui_start
keys 3
tui_wait 'Certificates: 5, sorted by expiry'
s=$(screen)
echo "$s"
# sorted by expiry: the 10-day TLS certificate first, marked soon
echo "$s" | sed -n 4p | grep -qE '^ tls +20[0-9-]+ soon +valid +gw.example.com' || fail "soon-expiring TLS first"
echo "$s" | grep -qE 'device-ca .* valid +fio-u43  airca-dca-u43' || fail "device CA row"

# search
keys /
tui_wait 'Search \(Enter: filter'
type_text "u43"
keys Enter
tui_wait "Certificates: 1 of 5 match 'u43'"
screen | grep -q 'fio-u42' && fail "search kept a non-matching row"
keys / Enter
tui_wait 'Certificates: 5, sorted'

# details: fingerprint in groups of 4 and a QR code beside it
keys g Enter
tui_wait 'SHA-256 fingerprint'
s=$(screen)
echo "$s"
echo "$s" | grep -q "CN=gw.example.com" || fail "details of the selected certificate"
for i in 0 1 2 3; do
	grp=$(echo "${fp:$((i * 16)):16}" | sed 's/..../& /g; s/ $//')
	echo "$s" | grep -qF "  $grp" || fail "fingerprint line $i ($grp)"
done
[ "$(echo "$s" | grep -c '█ ▄▄▄▄▄ █')" -ge 2 ] || fail "no QR finder patterns"
echo "$s" | grep -q "subject hash $(openssl x509 -in "$T/gw.pem" -noout -subject_hash)" || fail "subject hash"
echo "$s" | grep -q 'stored file matches the registry' || fail "stored file check"
[ "$(echo "$s" | grep -c '█████████████')" -ge 3 ] || fail "no QR quiet zone"
keys Escape
tui_wait 'Certificates: 5, sorted'
# a stored certificate swapped for another: the details say so
serial=$(openssl x509 -in "$T/gw.pem" -noout -serial | cut -d= -f2 | tr A-F a-f)
cp "$AIRCA_HOME/root.pem" "$AIRCA_HOME/certs/$serial.pem"
keys g Enter
tui_wait 'stored file DIFFERS from the'
keys Escape
tui_wait 'Certificates: 5, sorted'

# journal: view, verify, then one changed byte
J=$AIRCA_HOME/journal.jsonl
n=$(wc -l <"$J")
keys 4
tui_wait "Journal: $n entries"
screen | grep -qE '^ +1 20[0-9T:-]+Z journal-open' || fail "first entry shown"
keys v
tui_wait "journal verified: $n entries, [0-9]+ checkpoints, 0 seals"
sed -i '3s/"actor":"/"actor":"X/' "$J"
keys r v
tui_wait 'journal verification FAILED at seq 3 \(line 3\)'
keys q
tui_exited 0
echo ok
