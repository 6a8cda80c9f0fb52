#!/usr/bin/env bash
# PIN copies: stopped after a real login (gdb), airca's memory and a core of it hold no copy of the PIN, whether it came from --pin-file, the terminal or a wrong file, nor after a whole init that signed through libp11; from --pin-env only the one kept for re-login, in a page left out of core dumps; and the process is not dumpable and has RLIMIT_CORE 0.
. "$(dirname "$0")/../lib.sh"

command -v gdb >/dev/null || fail "gdb is needed (make deps)"
# airca makes itself non-dumpable at once (PR_SET_DUMPABLE 0): only a tracer
# with CAP_SYS_PTRACE (root) may read its memory, and there is no switch to
# turn that off for a test
if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: reading a non-dumpable airca needs root (CAP_SYS_PTRACE)"
	exit 0
fi
A=$AIRCA_BIN
PTY="python3 $TOP/tests/ptydrive.py 60"
unset DEBUGINFOD_URLS

# a PIN found nowhere else: random, and never in any environment but the
# one --pin-env run's (the scanner reads it from a file)
PIN="Pq$(od -An -N9 -tx1 /dev/urandom | tr -d ' \n')Zk"
printf '%s\n' "$PIN" >"$T/pin"
chmod 600 "$T/pin"
softhsm2-util --init-token --free --label airca --so-pin 5678-so-pin \
	--pin "$PIN" >/dev/null

# gdbcmds BREAK [EXTRA]: a gdb command file ($T/BREAK.gdb) that runs airca,
# stops it at BREAK (after the login), counts the PIN in its memory
# (tests/pinscan.py), writes a core of it ($T/core), asks it whether it is
# dumpable, runs EXTRA and kills it
# An ASan build maps terabytes of shadow that gdb would write into a core:
# there the memory scan (every readable page, dd ones too: a superset of a
# core's memory) stands alone, and the core is checked on a plain build.
CORE="generate-core-file $T/core" ASAN=0
if ldd "$A" | grep -q libasan; then
	CORE="echo (no core of an ASan build)\\n" ASAN=1
fi
gdbcmds() {
	cat >"$T/$1.gdb" <<EOG
set startup-with-shell off
set pagination off
set confirm off
set breakpoint pending on
set \$pinfile = "$T/pin"
break $1
run
source $TOP/tests/pinscan.py
$CORE
print (int)prctl(3, 0, 0, 0, 0)
${2:-}
kill
EOG
	echo "$T/$1.gdb"
}
# check OUT WANT_MEM: WANT_MEM copies in memory (all in dd pages), none in the core
# Under ASan one more is not airca's: the sanitizer runtime reads
# /proc/self/environ into an anonymous buffer of its own before main() runs,
# so a --pin-env PIN is there as "VAR=PIN"; that one copy is told apart by
# its place and its "AIRCA_T_PIN=" prefix, and allowed.
check() {
	local out=$1 want=$2 n
	if [ "$ASAN" = 1 ] && grep -q '^PINSCAN hit .* \[anon\] dd=0 pre=AIRCA_T_PIN=$' "$out"; then
		grep -v '^PINSCAN hit .* \[anon\] dd=0 pre=AIRCA_T_PIN=$' "$out" |
			sed "s/^PINSCAN total [0-9]*\$/PINSCAN total $(( $(sed -n 's/^PINSCAN total //p' "$out") - 1 ))/" >"$out.own"
		out=$out.own
	fi
	grep -q "^PINSCAN total $want\$" "$out" || { cat "$out"; fail "$out: want $want PIN copies in memory"; }
	if grep "^PINSCAN hit" "$out" | grep -qv ' dd=1 '; then
		cat "$out"; fail "$out: a PIN copy in memory that a core dump keeps"
	fi
	if [ "${CORE#generate}" != "$CORE" ]; then
		[ -s "$T/core" ] || { cat "$out"; fail "$out: gdb wrote no core"; }
		n=$(grep -a -o -F -e "$PIN" "$T/core" | wc -l)
		[ "$n" -eq 0 ] || fail "$out: the PIN $n times in a core of airca"
	fi
	# harden(): PR_GET_DUMPABLE says 0 (no core, no ptrace by the user)
	grep -q '^\$1 = 0$' "$out" || { cat "$out"; fail "$out: airca is dumpable"; }
	rm -f "$T/core"
}

# 1. --pin-file: after login (token keys lists after it), no copy at all
gdb -batch -nx -x "$(gdbcmds token_keys)" --args "$A" --pin-file "$T/pin" token keys \
	>"$T/file.out" 2>&1 </dev/null || true
grep -qE "Breakpoint 1[.0-9]*, token_keys" "$T/file.out" || { cat "$T/file.out"; fail "never reached token_keys"; }
check "$T/file.out" 0

# RLIMIT_CORE 0 as well, read from /proc while it waits at the breakpoint
gdb -batch -nx -x "$(gdbcmds token_keys 'python print(open("/proc/%d/limits" % gdb.selected_inferior().pid).read())')" \
	--args "$A" --pin-file "$T/pin" token keys >"$T/limits.out" 2>&1 </dev/null || true
grep -q '^Max core file size  *0  *0  *bytes' "$T/limits.out" || { cat "$T/limits.out"; fail "RLIMIT_CORE is not 0"; }
rm -f "$T/core"

# 2. typed at the terminal: the prompt's buffers are gone too
rc=0
$PTY "expect:user PIN for token 'airca'" "send:$PIN\n" "expect:PINSCAN total" \
	"expect:\\\$1 = " -- gdb -batch -nx -x "$(gdbcmds token_keys)" --args "$A" token keys \
	>"$T/tty.raw" 2>&1 || rc=$?
tr -d '\r' <"$T/tty.raw" >"$T/tty.out"
grep -qE "Breakpoint 1[.0-9]*, token_keys" "$T/tty.out" || { cat "$T/tty.out"; fail "tty: never reached token_keys ($rc)"; }
check "$T/tty.out" 0

# 3. --pin-env: the variable's string is wiped and unset; the one copy kept
# for a ceremony's next login is in a locked page that no core holds
rc=0
AIRCA_T_PIN=$PIN gdb -batch -nx -x "$(gdbcmds token_keys)" --args "$A" --pin-env AIRCA_T_PIN \
	token keys >"$T/env.out" 2>&1 </dev/null || rc=$?
grep -qE "Breakpoint 1[.0-9]*, token_keys" "$T/env.out" || { cat "$T/env.out"; fail "env: never reached token_keys"; }
check "$T/env.out" 1

# 4. a wrong PIN (the error path): nothing of it left when airca gives up
WRONG="Wr$(od -An -N9 -tx1 /dev/urandom | tr -d ' \n')Ng"
printf '%s\n' "$WRONG" >"$T/wrong"
chmod 600 "$T/wrong"
cp "$T/pin" "$T/pin.right"
cp "$T/wrong" "$T/pin"		# the scanner looks for the wrong one now
PIN=$WRONG
gdb -batch -nx -x "$(gdbcmds token_close)" --args "$A" --pin-file "$T/wrong" token keys \
	>"$T/wrong.out" 2>&1 </dev/null || true
grep -qE "Breakpoint 1[.0-9]*, token_close" "$T/wrong.out" || { cat "$T/wrong.out"; fail "wrong PIN: never reached token_close"; }
grep -q "wrong user PIN" "$T/wrong.out" && fail "the error was printed before token_close?"
check "$T/wrong.out" 0

# 5. init: key pairs generated, the root and audit certificates signed
# through libp11 with the token's keys; stopped as it stores the root
# certificate on the token: libp11 signed without ever having had the PIN
cp "$T/pin.right" "$T/pin"
PIN=$(cat "$T/pin")
gdb -batch -nx -x "$(gdbcmds token_store_cert)" --args "$A" --pin-file "$T/pin" \
	init --factory acme >"$T/init.out" 2>&1 </dev/null || true
grep -qE "Breakpoint 1[.0-9]*, token_store_cert" "$T/init.out" || { cat "$T/init.out"; fail "init: never reached token_store_cert"; }
check "$T/init.out" 0
echo ok
