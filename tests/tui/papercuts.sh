#!/usr/bin/env bash
# TUI papercuts (issue 15): help (? and F1) stays up through clock ticks
# until a key; a non-UTF-8 locale is refused with a clear message, not QR
# codes drawn as '???'; the batch review shows a request's whole SHA-256
# when its reason wraps, at 80x24 and at 200 columns; a long path wraps.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux.bash"

# LANG=C: refused before curses starts, saying what to do
tm -f /dev/null new-session -d -x 80 -y 24 -s lc \
	sh -c 'env LANG=C LC_ALL=C "$1" tui 2>"$2.err"; echo $? >"$2.rc"; exec sleep 600' \
	sh "$AIRCA_BIN" "$T/lc"
for _ in $(seq 1 $((TUI_WAIT * 10))); do [ -s "$T/lc.rc" ] && break; sleep 0.1; done
[ "$(cat "$T/lc.rc" 2>/dev/null)" = 2 ] || { cat "$T/lc.err"; fail "LANG=C: want exit 2, got '$(cat "$T/lc.rc" 2>/dev/null)'"; }
grep -q 'needs a UTF-8 locale.*LANG=C.UTF-8 airca tui' "$T/lc.err" || { cat "$T/lc.err"; fail "LANG=C: no clear message"; }
tm kill-session -t lc

init_ca acme
airca device-ca create --user-id u1 --label dca1 >/dev/null 2>&1 || fail "device-ca create"
IN=$T/usb/in
mkdir -p "$IN"
"$TOP/$AIRCA_BUILD/tests/gen-csrs" "$IN" 3 acme dev- || fail "gen-csrs"
long=ou-$(printf 'x%.0s' $(seq 1 60))
make_csr long "/CN=12345678-1111-4222-8333-000000000001/OU=$long"
cp "$T/long.csr" "$IN/zz-long-reason.csr"
sha=$(sha256sum "$IN/zz-long-reason.csr" | cut -c1-64)

tui_start
# help: stays through three clock ticks, closes on a key; F1 the same
keys '?'
tui_wait 'Help: '
sleep 3
screen | grep -q 'Help: ' || fail "help closed by itself (the clock tick counted as a key)"
keys x
tui_gone 'Help: '
keys F1
tui_wait 'Help: '
sleep 2
screen | grep -q 'Help: ' || fail "F1 help closed by itself"
keys x
tui_gone 'Help: '

keys 6
tui_wait 'Enter: review a directory'
keys Enter
tui_wait 'Device CA token label'
type_text dca1; keys Enter
tui_wait 'Directory of device CSRs'
type_text "$IN"; keys Enter
tui_wait '4 requests: 3 to sign'
keys G
tui_wait "zz-long-reason.csr: reject: OU is"
# the reason wraps (it is longer than a line) and the SHA-256 is whole, on its own row
screen | grep -qF "file SHA-256 $sha" || { screen; fail "80x24: SHA-256 cut"; }
screen | grep -qE "^ OK +FILE +CN +KEY +RESULT" || { screen; fail "80x24: header"; }
screen | grep -qE '^ \[-\] zz-long-reason.csr +- +EC P-256 reject' || { screen; fail "80x24: row does not fit"; }

# 200 columns: the same, on one row each
tm resize-window -x 200 -y 30
sleep 1; keys r
tui_wait "zz-long-reason.csr: reject: OU is '$long' but"
screen | grep -qF "file SHA-256 $sha" || { screen; fail "200 columns: SHA-256 cut"; }
screen | grep -qE '^ \[-\] zz-long-reason.csr +- +EC P-256 reject' || { screen; fail "200 columns: row"; }
keys q
tui_exited 0
echo ok
