#!/usr/bin/env bash
# TUI home screen: factory, token, CA tree with expiry, journal head and last seal; help per screen; resize redraws; too small says so; NO_COLOR draws no colour; q quits at once when no ceremony is open.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux.bash"

init_ca acme
airca device-ca create --user-id u42 >/dev/null 2>&1 || fail "device-ca create"
airca journal seal >"$T/seal.out" 2>&1 || fail "journal seal"
J=$AIRCA_HOME/journal.jsonl
head_hex=$(tail -n 1 "$J" | head -c -0 | tr -d '\n' | sha256sum | cut -c1-64)
g() { echo "$1" | sed 's/..../& /g' | cut -c1-39; }	# first 8 groups

# no terminal: a usage error that says what to do instead
expect_fail 2 "airca tui needs a terminal" "$AIRCA_BIN" tui </dev/null

tui_start
tui_wait 'Factory +acme'
s=$(screen)
echo "$s"
echo "$s" | grep -qE "Token +'airca' serial [0-9a-f]+, not logged in" || fail "token line"
echo "$s" | grep -qE 'Factory-CA +root +exp 20[0-9-]+ valid' || fail "root in the tree"
echo "$s" | grep -qE '├─ fio-u42 +device-ca exp 20[0-9-]+ valid' || fail "device CA under the root"
n=$(wc -l <"$J")
echo "$s" | grep -qE "Journal +$n entries, head:" || fail "journal entries"
echo "$s" | grep -qF "$(g "$head_hex")" || fail "journal head hash $head_hex"
echo "$s" | grep -qE "Last seal +seq $n at " || fail "last seal"

# the title bar's UTC clock runs on its own (the witness compares it)
c1=$(screen | head -n 1 | grep -oE '[0-9]{2}:[0-9]{2}:[0-9]{2} UTC$') || fail "no clock in the title bar"
for ((i = 0; i < 50; i++)); do
	c2=$(screen | head -n 1 | grep -oE '[0-9]{2}:[0-9]{2}:[0-9]{2} UTC$')
	[ "$c2" != "$c1" ] && break
	sleep 0.1
done
[ "$c2" != "$c1" ] || fail "the clock did not move without a key"

# help for this screen; any key closes it
keys '?'
tui_wait 'Help: Home'
screen | grep -q 'CA tree' || fail "home help text"
keys x
tui_gone 'Help: Home'
keys 4 '?'
tui_wait 'Help: Journal'
screen | grep -q 'v  verify' || fail "journal help text"
keys Escape 1

# resize: larger redraws with the status line at the new bottom; too small says so
tm resize-window -x 100 -y 30
tui_wait 'Factory +acme'
[ "$(screen | sed -n 30p | grep -c 'q quit')" -eq 1 ] || { screen; fail "status line not on row 30 after resize"; }
tm resize-window -x 60 -y 20
tui_wait 'needs 80x24 \(now 60x20\)'
tm resize-window -x 80 -y 24
tui_wait 'Factory +acme'

# with colour allowed, the journal's signed entries are coloured (an aid only)
keys 4
tui_wait 'Journal: [0-9]+ entries'
tm capture-pane -p -e | grep -qE $'\e\\[(3[0-7]|9[0-7]|38;)' || fail "no colour without NO_COLOR"

# q quits at once: no ceremony open
keys q
tui_exited 0
tm kill-server

# NO_COLOR: no colour escapes at all (reverse and bold stay)
tui_start NO_COLOR=1
keys 4
tui_wait 'Journal: [0-9]+ entries'
tm capture-pane -p -e | grep -qE $'\e\\[(3[0-7]|9[0-7]|38;)' && fail "colour drawn under NO_COLOR"
keys q
tui_exited 0
echo ok
