#!/usr/bin/env bash
# TUI on a fresh token and no CA home: the home screen says so and points at the root-init ceremony; root-init.ceremony run from the TUI creates the root (PIN typed), seals, and the home screen then shows the factory and its root.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux.bash"

make_token
tui_start
tui_wait 'No CA home:'
screen | grep -q 'Run the root initialization ceremony' || fail "no pointer to root-init"
keys 5
tui_wait 'root-init.ceremony +Initialise the factory root CA'
tui_select root-init.ceremony
keys Enter
answer '^factory \(' acme
answer 'Name of officer 1 of 2:' Alice
answer 'Name of officer 2 of 2:' Bob
answer 'Name of witness 1 of 1:' Carol
answer 'Step 1: the witness' Carol
answer 'Step 2: the officer' Alice
answer 'Step 3: the witness' Carol
tui_wait 'command: airca init --factory acme'
answer 'Step 4: the officer' Bob
tui_wait "user PIN for token 'airca'"
type_text "$TEST_PIN"; keys Enter
answer 'Step 5: the witness' Carol
tui_wait "user PIN for token 'airca'"
type_text "$TEST_PIN"; keys Enter
tui_wait 'Ceremony ceremony-[0-9TZ]+-[0-9a-f]+ sealed\.'
keys Escape 1
tui_wait 'Factory +acme'
screen | grep -qE 'Factory-CA +root +exp 20[0-9-]+ valid' || { screen; fail "root not on the home screen"; }
screen | grep -qE 'Last seal +seq [0-9]+ at ' || fail "no seal on the home screen"
no_secret "$TEST_PIN"
keys q
tui_exited 0
airca journal verify >/dev/null || fail "journal verify"
openssl x509 -in "$AIRCA_HOME/root.pem" -noout -subject | grep -q 'OU *= *acme' || fail "root subject"
grep '"event":"ceremony-opened"' "$AIRCA_HOME/journal.jsonl" | grep -q '"Carol"' || fail "ceremony not journaled"
echo ok
