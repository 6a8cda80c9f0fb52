#!/usr/bin/env bash
# Columns (issue 15): at 80x24 and at 200x30 every screen keeps its tab bar
# and its footer, and no line is cut silently: a line that reaches the last
# column ends in the cut marker '>' or is one that is meant to fill it (the
# tab bar's clock, a rule).  At 200 columns what was cut at 80 is whole: the
# key objects' SPKI SHA-256, the slot flags.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux.bash"

init_ca acme
airca device-ca create --user-id u1 --label dca1 >/dev/null 2>&1 || fail "device-ca create"
spki=$(airca token keys 2>/dev/null | grep -oE '[0-9a-f]{64}' | head -1)

check_screen() {	# WIDTH SCREEN
	local w=$1 s=$2 line n=0
	screen >"$T/scr"
	head -1 "$T/scr" | grep -qE "^ airca .*1 Home.*6 Batch.* [0-9]{2}:[0-9]{2}:[0-9]{2} UTC$" ||
		{ cat "$T/scr"; fail "${w} columns, screen $s: tab bar cut"; }
	grep -q '^? help   1-6 screens   q quit' "$T/scr" ||
		{ cat "$T/scr"; fail "${w} columns, screen $s: footer missing"; }
	while IFS= read -r line; do
		n=$((n + 1))
		[ "${#line}" -lt "$w" ] && continue
		[ "$n" -eq 1 ] && continue
		case $line in
		*'>' | *─) ;;
		*) cat "$T/scr"; fail "${w} columns, screen $s, row $n fills the width with no cut marker: $line" ;;
		esac
	done <"$T/scr"
}

tui_start
for size in "80 24" "200 30"; do
	set -- $size
	tm resize-window -x "$1" -y "$2"
	sleep 0.5
	keys 1; tui_wait '\[1 Home\]'; tui_wait 'Journal +[0-9]+ entries'; check_screen "$1" 1
	keys 2; tui_wait '\[2 Token\]'; tui_wait 'airca-audit'; check_screen "$1" 2
	if [ "$1" -eq 80 ]; then
		screen | grep -qE 'airca-root .* [0-9a-f]{16}\.\.\.$' || { screen; fail "80 columns: SPKI not shortened with a marker"; }
		screen | grep -qE '^  slot [0-9]+ +airca .*initialized, .*>$' || { screen; fail "80 columns: the slot flags are cut with no marker"; }
	else
		screen | grep -qF "$spki" || { screen; fail "200 columns: the key objects' SPKI SHA-256 is not whole"; }
		screen | grep -qE '^  slot [0-9]+ +airca .*user-pin-initialized, rng, restore-key-not-needed$' ||
			{ screen; fail "200 columns: the slot flags are not whole"; }
	fi
	keys 3; tui_wait '\[3 Certs\]'; tui_wait 'fio-u1'; check_screen "$1" 3
	keys 4; tui_wait '\[4 Journal\]'; tui_wait 'journal-open'; check_screen "$1" 4
	# a journal row's data is cut with a marker at both widths (it is longer)
	screen | grep -qE '^ +1 [0-9TZ:-]+ journal-open +[a-z]+ +\{"format":"airca-jou.*>$' ||
		{ screen; fail "${1} columns: a journal row's data is cut with no marker"; }
	keys 5; tui_wait '\[5 Ceremony\]'; tui_wait 'device-ca.ceremony'; check_screen "$1" 5
	keys 6; tui_wait '\[6 Batch\]'; tui_wait 'Batch review'; check_screen "$1" 6
done
keys q
tui_exited 0
echo ok
