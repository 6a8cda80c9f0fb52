#!/usr/bin/env bash
# TUI ceremony failures: a bad media path stops device-ca.ceremony at step 4 with the reason on screen, the abort journaled and signed (the journal verifies), the UI still usable; quitting during a ceremony asks first (no keeps it going, yes aborts it, journaled and signed, then exits).
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux.bash"

init_ca acme
J=$AIRCA_HOME/journal.jsonl

start_device_ca() {
	keys 5
	tui_wait 'device-ca.ceremony +Create a local device CA'
	tui_select device-ca.ceremony
	keys Enter
	tui_wait 'ceremony-scripts/device-ca.ceremony\)'
	answer '^user-id \(' "$1"
	answer '^usb \(' "$2"
	answer '^out \(' "$2/out"
}

# 1. a bad path: step 4 fails, nothing after it runs
tui_start
start_device_ca u42 "$T/no-such-usb"
answer 'Name of officer 1 of 2:' Alice
answer 'Name of officer 2 of 2:' Bob
answer 'Name of witness 1 of 1:' Carol
answer 'Step 1: the witness types' Carol
answer 'Step 2: the officer types' Alice
answer 'Step 3: the witness types' Carol
answer 'Step 4: the officer types' Alice
tui_wait 'CEREMONY ABORTED at step 4: not found: .*no-such-usb'
screen | grep -q 'is the media inserted and mounted' || fail "reason not on screen"
# the runner signs the abort: one more PIN
tui_wait "user PIN for token 'airca'"
type_text "$TEST_PIN"; keys Enter
tui_wait 'the abort is signed'
tui_wait '^ CEREMONY ABORTED \(journal intact; Esc: back\): not found: '
screen | grep -q 'Step 5 of 8' && fail "step 5 ran"
airca journal verify >"$T/v" 2>&1 || { cat "$T/v"; fail "journal does not verify after the abort"; }
grep '"event":"ceremony-aborted"' "$J" | grep -q '"step":4' || fail "abort not journaled with its step"
grep -q '"event":"cert-issued".*fio-u42' "$J" && fail "a step after the failure ran"
# still usable: back to the scripts, the journal screen
keys Escape
tui_wait 'Enter: run the selected script'
keys 4 v
tui_wait 'journal verified: '

# 2. quit during a ceremony: asked first
start_device_ca u43 "$T"
tui_wait 'Name of officer 1 of 2:'
keys Escape q
tui_wait 'A ceremony is open. Abort it'
keys n
tui_gone 'A ceremony is open. Abort it'
# Ctrl-C is a key, not a kill: it asks the same, even from inside the field
keys Enter C-c
tui_wait 'A ceremony is open. Abort it'
keys n
tui_gone 'A ceremony is open. Abort it'
type_text Alice; keys Enter
tui_wait 'Name of officer 2 of 2:'
keys Escape 1
tui_wait 'a ceremony is open: finish it'
keys q
tui_wait 'A ceremony is open. Abort it'
keys y
tui_wait "user PIN for token 'airca'"
type_text "$TEST_PIN"; keys Enter
tui_exited 0
tail -n 5 "$J" | grep '"event":"ceremony-aborted"' | grep -q 'aborted from the terminal UI' ||
	{ tail -n 5 "$J"; fail "quit abort not journaled"; }
tail -n 1 "$J" | grep -q '"event":"checkpoint"' || fail "the abort is not signed"
airca journal verify >/dev/null || fail "journal does not verify after quitting"
no_secret "$TEST_PIN"
echo ok
