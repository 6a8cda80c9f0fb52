#!/usr/bin/env bash
# TUI progress on a slow token (tests/p11shim, 20 ms a signature): the batch
# step of device-batch.ceremony shows a bar with the count, the measured rate
# (near 50/s) and the time left on the ceremony screen while it signs, and the
# batch review screen shows the same line.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/tmux.bash"

init_ca acme
airca device-ca create --user-id u1 --label dca1 >/dev/null 2>&1 || fail "device-ca create"
use_shim 3	# max_sessions 3: one signing session, a token that signs one at a time
USB=$T/usb N=250
mkdir -p "$USB/in"
"$TOP/$AIRCA_BUILD/tests/gen-csrs" "$USB/in" $N acme dev- || fail "gen-csrs"

# the line under the bar: "[###....] 120/250  48/s  about 3s left"
check_line() {
	python3 - "$1" "$2" <<'PY'
import re, sys
total = int(sys.argv[2])
for line in sys.argv[1].splitlines():
    m = re.search(r"\[#*\.+\] (\d+)/(\d+)  (\d+)/s  about (?:(\d+)m)?(\d+)s left", line)
    if not m:
        continue
    done, tot, rate = int(m[1]), int(m[2]), int(m[3])
    left = int(m[4] or 0) * 60 + int(m[5])
    assert tot == total and 0 < done < total, line
    assert 25 <= rate <= 55, ("rate", line)
    assert abs(left - (total - done) / rate) <= 1.5, ("time left", line)
    print("progress seen:", line.strip())
    sys.exit(0)
sys.exit(1)
PY
}

# wait_progress: a progress line with a rate and time left, checked
wait_progress() {
	local i s
	for ((i = 0; i < TUI_WAIT * 10; i++)); do
		s=$(screen)
		if echo "$s" | grep -qE '\] [0-9]+/[0-9]+  [0-9]+/s  about '; then
			check_line "$s" "$1" && return 0
			echo "$s" >&2; fail "the progress line does not tell the truth"
		fi
		sleep 0.1
	done
	screen >&2; fail "no progress line with a rate and time left"
}

tui_start P11SHIM_SIGN_DELAY_MS=20
batch_ceremony_open "$USB"
answer 'Step 1: the witness types' Carol
answer 'Step 2: the officer types' Alice
answer 'Step 3: the witness types' Carol
answer 'Step 4: the officer types' Alice
answer 'Step 5: the witness types' Carol
answer 'Step 6: the officer types' Bob
answer "user PIN for token 'airca'" "$TEST_PIN"
wait_progress $N
tui_wait "$N signed, 0 skipped"
answer 'Step 7: the witness types' Carol
answer 'Step 8: the witness types' Carol
answer "user PIN for token 'airca'" "$TEST_PIN"
tui_wait 'Seal SHA-256 \(journal seq'
screen | grep -qE '\] [0-9]+/[0-9]+  [0-9]+/s' && { screen; fail "the bar outlived its step"; }
[ "$(ls "$USB/out"/*.pem | wc -l)" -eq $N ] || fail "want $N certificates"

# the batch review screen: the same line while it signs
rm -rf "$T/in2"
mkdir -p "$T/in2"
"$TOP/$AIRCA_BUILD/tests/gen-csrs" "$T/in2" $N acme dev- || fail "gen-csrs"
keys Escape
keys 6
tui_wait 'Enter: review a directory'
keys Enter
answer 'Device CA token label' dca1
answer 'Directory of device CSRs' "$T/in2"
tui_wait "$N requests: $N to sign"
keys a
tui_wait "$N of $N approved"
keys s
answer 'Output directory for the certificates' "$T/out2"
tui_wait 'Sign [0-9]+ requests with dca1 into'
keys y
answer "user PIN for token 'airca'" "$TEST_PIN"
wait_progress $N
tui_wait "signed $N, skipped 0, rejected 0 of $N in"
keys q
tui_exited 0
airca journal verify >/dev/null || fail "journal"
echo ok
