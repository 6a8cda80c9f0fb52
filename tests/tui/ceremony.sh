#!/usr/bin/env bash
# TUI ceremony: device-batch.ceremony run from the ceremony screen by two officers and a witness: parameters, participants by name and role, clock shown, air-gap result, script SHA-256 as groups and QR, the batch's SHA-256, a confirmation by the wrong role refused, PINs typed unseen, the batch signed, the seal as hex and QR; the journal verifies against the seal read off the screen.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux.bash"

S=ceremony-scripts/device-batch.ceremony
init_ca acme
airca device-ca create --user-id u1 --label dca1 >/dev/null 2>&1 || fail "device-ca create"
USB=$T/usb
mkdir -p "$USB/in"
"$TOP/$AIRCA_BUILD/tests/gen-csrs" "$USB/in" 5 acme dev- || fail "gen-csrs"
in_sha=$(cd "$USB/in" && LC_ALL=C sha256sum * | sha256sum | cut -c1-64)
script_sha=$(sha256sum "$TOP/$S" | cut -c1-64)
# a policy change the first writing step journals and warns about: the warning
# reaches the ceremony log through the TUI's sink, not a captured stderr
echo "# reviewed" >>"$AIRCA_HOME/policy.conf"

tui_start
batch_ceremony_open "$USB"

# step 1: the clock; the wrong role is refused and asked again
tui_wait "this machine's clock: 20[0-9-]+T[0-9:]+Z \(UTC\)"
answer 'Step 1: the witness types their name' Alice
tui_wait 'Alice is officer; step 1 is confirmed by the witness'
type_text Carol; keys Enter
tui_wait 'confirmed by Carol \(witness\)'
# step 2: the air gap result
tui_wait 'network: .*policy'
answer 'Step 2: the officer types' Alice
# step 3: the script's SHA-256, as groups and as a QR code (Tab)
tui_wait "$(groups2 "$script_sha")"
screen | grep -qF "$(groups1 "$script_sha")" || fail "script SHA-256 groups"
keys Escape Tab
tui_wait 'QR code \(Tab: back to the log\)'
screen | grep -qF " $(echo "$script_sha" | cut -c1-16 | sed 's/..../& /g; s/ $//')" || fail "QR pane: the script's SHA-256"
[ "$(screen | grep -c '█ ▄▄▄▄▄ █')" -ge 2 ] || { screen; fail "no QR of the script SHA-256"; }
keys Tab Enter
answer 'Step 3: the witness types' Carol
answer 'Step 4: the officer types' Alice
# step 5: the batch directory's SHA-256
tui_wait "$(groups2 "$in_sha")"
answer 'Step 5: the witness types' Carol
# step 6: batch sign, the PIN typed without echo
tui_wait 'command: airca batch sign --ca dca1 --in '
answer 'Step 6: the officer types' Bob
tui_wait "user PIN for token 'airca'"
type_text "$TEST_PIN"
no_secret "$TEST_PIN"
keys Enter
# batch sign's result lines, from the sink into the log
tui_wait '5 signed, 0 skipped \(signed before\), 0'
tui_wait 'input tree  SHA-256'
# the policy warning came before them: scroll the log back to it, and on
tui_wait 'Step 7: the witness types'
for _ in $(seq 30); do
	screen | grep -qE 'warning: .*policy.conf changed since it was' && break
	keys Up; sleep 0.1
done
tui_wait 'warning: .*policy.conf changed since it was'
keys NPage NPage NPage
answer 'Step 7: the witness types' Carol
answer 'Step 8: the witness types' Carol
tui_wait "user PIN for token 'airca'"
type_text "$TEST_PIN"; keys Enter
tui_wait 'Ceremony ceremony-[0-9TZ]+-[0-9a-f]+ sealed\.'
# the runner says "sealed." before the TUI has reloaded the home (a whole
# journal replay) and shown the seal box: wait for the box itself
tui_wait 'Seal SHA-256 \(journal seq'
s=$(screen)
echo "$s"
seal=$(echo "$s" | sed -n '/^ Seal SHA-256/{n;p;n;p}' | tr -d ' \n')
[ ${#seal} -eq 64 ] || fail "seal not read off the screen: '$seal'"
keys Tab
tui_wait 'QR code ([0-9]) of \1 \(Left/Right'
screen | grep -q '^seal of' || fail "QR pane: the seal"
screen | grep -qF " $(echo "$seal" | cut -c1-16 | sed 's/..../& /g; s/ $//')" || fail "QR pane: the seal's SHA-256"
[ "$(screen | grep -c '█ ▄▄▄▄▄ █')" -ge 2 ] || { screen; fail "no QR of the seal"; }
# Left: the SHA-256 before the seal's, summary.json's
keys Left
tui_wait 'QR code 4 of 5'
sum_sha=$(sha256sum "$USB/out/summary.json" | cut -c1-64)
screen | grep -qF " $(echo "$sum_sha" | cut -c1-16 | sed 's/..../& /g; s/ $//')" || fail "QR pane: summary.json's SHA-256"
no_secret "$TEST_PIN"
keys q
tui_exited 0

# the record: the journal verifies against the seal as read; who did what
airca journal verify --seal "$seal" >"$T/verify" || { cat "$T/verify"; fail "journal verify --seal"; }
J=$AIRCA_HOME/journal.jsonl
grep '"event":"ceremony-opened"' "$J" | grep '"Alice"' | grep '"Bob"' | grep '"Carol"' |
	grep -q '"interactive":true' || fail "participants / interactive not journaled"
grep '"event":"ceremony-step"' "$J" | grep '"step":6' | grep -q '"confirmed-by":"Bob"' || fail "step 6 by Bob"
grep '"event":"ceremony-step"' "$J" | grep '"step":1' | grep -q '"confirmed-by":"Carol"' || fail "step 1 by Carol"
[ "$(ls "$USB/out"/*.pem | wc -l)" -eq 5 ] || fail "want 5 device certificates"
grep -q "$TEST_PIN" "$J" && fail "PIN in the journal"
echo ok
