#!/usr/bin/env bash
# TUI token screen: slots, tokens, key objects with type and SPKI hash; log in with the PIN typed into a no-echo field (never on screen, never in argv): a wrong PIN shows the reason and the UI stays usable, the right one shows the private keys.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux.bash"

init_ca acme
spki=$(openssl x509 -in "$AIRCA_HOME/root.pem" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -c1-16)

tui_start
keys 2
tui_wait 'Token .airca. serial [0-9a-f]+ \(SoftHSM v2\): not logged in'
s=$(screen)
echo "$s" | grep -qE 'slot [0-9]+ +airca +[0-9a-f]+ +SoftHSM v2' || fail "slot line"
echo "$s" | grep -qE "airca-root +ec-p256 +pub cert  $spki" || fail "root key object with its SPKI hash $spki"
echo "$s" | grep -q ' priv pub' && fail "private keys listed before login"

# wrong PIN: the reason on screen, nothing of the PIN
keys l
tui_wait "User PIN for token 'airca' \(not shown"
type_text "9999-wrong"
sleep 0.3
no_secret "9999-wrong"
keys Enter
tui_wait 'login: .*wrong user PIN'
no_secret "9999-wrong"
# still usable: another screen and back
keys 3
tui_wait 'Certificates: 2'
keys 2
tui_wait 'not logged in \(l: log in\)'

# the right PIN, typed
keys l
tui_wait "User PIN for token 'airca'"
type_text "$TEST_PIN"
no_secret "$TEST_PIN"
keys Enter
tui_wait "logged in to 'airca': [0-9]+ key objects visible"
screen | grep -qE "airca-root +ec-p256 +priv pub cert" || { screen; fail "private key after login"; }
no_secret "$TEST_PIN"
# Tab: the key pane shows one key's full SPKI SHA-256
keys Tab
tui_wait 'SPKI SHA-256 of '

# log out
keys o
tui_wait 'logged out, token closed'
keys q
tui_exited 0
no_secret "$TEST_PIN"
echo ok
