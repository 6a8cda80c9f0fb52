#!/usr/bin/env bash
# TUI token screen on a home initialised with --pin-shares (quorum login): the TUI does not ask for PIN shares yet, so 'l' refuses with the reason and says to use the command line; no PIN field opens, nothing logs in.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux.bash"

make_token
airca init --factory acme --pin-shares 2-of-3 --pin-custodian dora --pin-custodian erik \
	--pin-custodian fay --shares-to "$T/pins" > /dev/null
tui_start
keys 2
tui_wait 'not logged in'
keys l
tui_wait 'login: this home logs in with 2 of the 3 shares'
screen_all | grep -q "User PIN for token" && { screen; fail "a PIN field opened"; }
screen_all | tr -d '\n' | grep -q "TUI cannot ask for them yet" || { screen; fail "the reason: use the command line"; }
keys q
tui_exited 0
echo ok
