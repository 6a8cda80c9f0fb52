#!/usr/bin/env bash
# TUI with the token gone: the token screen shows the reason and the UI stays usable; a ceremony step that needs the token asks for it ("insert token"), looks again once it is back, and goes on.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux.bash"

init_ca acme
tok=$(ls -d "$T"/tokens/*/)
mv "$tok" "$T/pulled"

tui_start
keys 2
tui_wait 'open the token: '
screen
screen | grep -q "Token not open" || fail "token screen without a token"
keys 3
tui_wait 'Certificates: 2'

# a ceremony step asks for the token, and goes on once it is back
mkdir -p "$T/usb"
keys 5
tui_wait 'device-ca.ceremony +Create a local device CA'
tui_select device-ca.ceremony
keys Enter
answer '^user-id \(' u42
answer '^usb \(' "$T/usb"
answer '^out \(' "$T/usb/out"
answer 'Name of officer 1 of 2:' Alice
answer 'Name of officer 2 of 2:' Bob
answer 'Name of witness 1 of 1:' Carol
for s in 1:Carol 2:Alice 3:Carol 4:Alice 5:Bob; do
	answer "Step ${s%%:*}: the" "${s#*:}"
done
tui_wait "[Ii]nsert .*token.*airca.*y to look again"
mv "$T/pulled" "$tok"
keys y
tui_wait "user PIN for token 'airca'"
type_text "$TEST_PIN"; keys Enter
tui_wait "device CA 'airca-dca-u42'"
answer 'Step 6: the' Bob
tui_wait "user PIN for token 'airca'"
type_text "$TEST_PIN"; keys Enter
answer 'Step 7: the' Carol
answer 'Step 8: the' Carol
tui_wait "user PIN for token 'airca'"
type_text "$TEST_PIN"; keys Enter
tui_wait 'Ceremony ceremony-[0-9TZ]+-[0-9a-f]+ sealed\.'
keys q
tui_exited 0
airca journal verify >/dev/null || fail "journal verify"
echo ok
