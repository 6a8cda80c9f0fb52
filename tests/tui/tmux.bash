# tests/tui/tmux.bash: drive the real 'airca tui' in a detached tmux
# (80x24) for the tests/tui/*.sh scripts.  Source it after tests/lib.sh.
# Screens are polled with a bounded wait, never a fixed sleep.

export LANG=C.UTF-8 LC_ALL=C.UTF-8
TMUX_SOCK="airca-tui-$$"
TUI_WAIT=${TUI_WAIT:-20}	# seconds a screen may take (sanitizer build)
unset TMUX
trap 'tmux -L "$TMUX_SOCK" kill-server 2>/dev/null; rm -rf "$T"' EXIT

tm() { tmux -L "$TMUX_SOCK" "$@"; }

# tui_start [ENV=VALUE...]: airca tui in a fresh 80x24 tmux (cwd: the top,
# for ceremony-scripts/).  A shell around it writes its exit status to
# $T/tui.rc and stays, so the pane (and any sanitizer report) can still be
# read: tmux 3.3 may not notice a pane's process exit for a long while.
tui_start() {
	rm -f "$T/tui.rc"
	tm -f /dev/null new-session -d -x 80 -y 24 -c "$TOP" \
		sh -c 'env "$@"; echo $? >"$0"; exec sleep 600' "$T/tui.rc" \
		"$@" "$AIRCA_BIN" tui
	tm set-option -g history-limit 5000
	tui_wait 'airca .*1 Home'
}

# keys KEY...: tmux send-keys (literal text with -l via 'type')
keys() { tm send-keys "$@"; }
type_text() { tm send-keys -l "$1"; }

screen() { tm capture-pane -p; }
screen_all() { tm capture-pane -p -S - -E -; }

# tui_rows: the screen below the tab bar, one row a line, each marked "> "
# if it is drawn in reverse video (a list's cursor) and "  " if not
tui_rows() {
	tm capture-pane -p -e | awk -v esc=$'\033' 'NR > 1 {
		sel = $0 ~ (esc "\\[([0-9]+;)*7m")
		gsub(esc "\\[[0-9;]*m", "")
		print (sel ? "> " : "  ") $0
	}'
}

# tui_select NAME: move a list's cursor (the row in reverse video) to the
# one row whose text begins with NAME (a fixed string, blanks before it
# ignored: a ceremony script's file name, a key's label), by j or k; fails,
# showing the screen, if no row or more than one begins with NAME, or if
# the cursor does not get there.  Tests pick rows by name, never by
# position, so a new script in ceremony-scripts/ cannot change which one a
# test runs.
tui_select() {
	local rows at want i n=$((TUI_WAIT * 10)) k=j
	rows=$(tui_rows)
	want=$(printf '%s\n' "$rows" | tui_rows_named "$1")
	case $want in
	"") screen >&2; fail "tui_select: no row on the screen begins with '$1'" ;;
	*[!0-9]*) screen >&2; fail "tui_select: $(echo $want | wc -w) rows begin with '$1': name one" ;;
	esac
	at=$(printf '%s\n' "$rows" | grep -n '^> ' | head -1 | cut -d: -f1)
	[ -n "$at" ] || { screen >&2; fail "tui_select $1: no row is selected"; }
	if [ "$want" -lt "$at" ]; then
		k=k
	fi
	for ((i = at; i != want; i += (want > at ? 1 : -1))); do
		keys "$k"
	done
	for ((i = 0; i < n; i++)); do
		[ "$(tui_rows | tui_rows_named "$1")" = "$want" ] &&
			tui_rows | sed -n "${want}p" | grep -q '^> ' && return 0
		sleep 0.1
	done
	screen >&2; fail "tui_select: the cursor did not reach '$1'"
}

# tui_rows_named NAME: of tui_rows on stdin, the numbers of the rows whose
# text begins with NAME (blanks before it ignored)
tui_rows_named() {
	awk -v s="$1" '{ t = substr($0, 3); sub(/^[ \t]+/, "", t) }
		index(t, s) == 1 { print NR }'
}

# tui_wait REGEX: until the screen shows REGEX (extended), at most TUI_WAIT s
tui_wait() {
	local i n=$((TUI_WAIT * 10))
	for ((i = 0; i < n; i++)); do
		if screen | grep -qE -- "$1"; then return 0; fi
		if [ -s "$T/tui.rc" ] && ! screen | grep -qE -- "$1"; then
			screen >&2; fail "the TUI exited while waiting for /$1/"
		fi
		sleep 0.1
	done
	echo "--- screen ---" >&2; screen >&2
	fail "timed out waiting for /$1/"
}

# tui_gone REGEX: until the screen no longer shows REGEX
tui_gone() {
	local i n=$((TUI_WAIT * 10))
	for ((i = 0; i < n; i++)); do
		screen | grep -qE -- "$1" || return 0
		sleep 0.1
	done
	screen >&2; fail "/$1/ still on screen"
}

# tui_exit_status: wait for the TUI to exit; prints its exit status
tui_exit_status() {
	local i n=$((TUI_WAIT * 10))
	for ((i = 0; i < n; i++)); do
		if [ -s "$T/tui.rc" ]; then
			cat "$T/tui.rc"
			return 0
		fi
		sleep 0.1
	done
	screen >&2; fail "the TUI did not exit"
}

# no_secret S: S appears nowhere on the screen or in its scrollback
no_secret() {
	if screen_all | grep -qF -- "$1"; then
		screen_all >&2; fail "the PIN appeared on the screen"
	fi
}

# tui_exited CODE: the TUI has exited with CODE (sanitizer reports show on the dead pane)
tui_exited() {
	local rc
	rc=$(tui_exit_status) || exit 1
	if [ "$rc" != "$1" ]; then
		screen_all | tail -60 >&2
		fail "airca tui exited '$rc', want $1"
	fi
}

# answer REGEX TEXT: wait for a prompt, type TEXT, Enter
answer() {
	tui_wait "$1"
	type_text "$2"
	keys Enter
}

# groups HEX: the SHA-256 as the runner shows it, two lines of 8 groups
groups1() { echo "$1" | cut -c1-32 | sed 's/..../& /g; s/ $//'; }
groups2() { echo "$1" | cut -c33-64 | sed 's/..../& /g; s/ $//'; }

# batch_ceremony_open USB: from the ceremony screen, open device-batch.ceremony
# on USB (requests in USB/in, certificates to USB/out, device CA dca1) with
# Alice and Bob as officers and Carol as witness
batch_ceremony_open() {
	keys 5
	tui_wait 'device-batch.ceremony +Sign a batch of device certificate requests'
	tui_select device-batch.ceremony
	keys Enter
	tui_wait 'ceremony-scripts/device-batch.ceremony\)'
	answer '^usb \(' "$1"
	answer '^ca \(' dca1
	answer '^in \(' "$1/in"
	answer '^out \(' "$1/out"
	answer 'Name of officer 1 of 2:' Alice
	answer 'Name of officer 2 of 2:' Bob
	answer 'Name of witness 1 of 1:' Carol
}
