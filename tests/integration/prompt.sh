#!/usr/bin/env bash
# Token and PIN prompts: a wrong PIN typed at the terminal is asked again (attempt 2 of 3) and the right one logs in; a wrong PIN from a file is tried once; a missing token with stdin closed is a clear error at once; on a terminal it asks "Insert token 'Factory Root 2026'", finds it once inserted, or stops when cancelled.
. "$(dirname "$0")/../lib.sh"

A=$AIRCA_BIN
PTY="python3 $TOP/tests/ptydrive.py 20"

init_ca acme

# 1. wrong PIN, then the right one, typed at the terminal
rc=0
$PTY "expect:user PIN for token 'airca' \(serial [0-9a-f]+\): " "send:not-the-pin\n" \
	"expect:wrong user PIN for token 'airca'" "expect:attempt 2 of 3[^\n]*: " "send:$TEST_PIN\n" \
	"expect:journal sealed at seq" -- "$A" journal seal >"$T/pty1" 2>&1 || rc=$?
cat "$T/pty1"
[ $rc -eq 0 ] || fail "wrong-then-right PIN exited $rc"
"$A" journal verify >/dev/null || fail "journal after the retried login"

# three wrong PINs: the third says so and stops (exit 4)
rc=0
$PTY "expect:user PIN for token 'airca'" "send:bad-1\n" "expect:attempt 2 of 3[^\n]*: " "send:bad-2\n" \
	"expect:attempt 3 of 3[^\n]*: " "send:bad-3\n" -- "$A" journal seal >"$T/pty2" 2>&1 || rc=$?
[ $rc -eq 4 ] || { cat "$T/pty2"; fail "three wrong PINs exited $rc, want 4"; }
grep -q "wrong user PIN for token 'airca'" "$T/pty2" || fail "no reason after three wrong PINs"
[ "$(grep -c 'attempt 4' "$T/pty2")" -eq 0 ] || fail "asked a fourth time"

# 2. a wrong PIN from a file is tried once, never again
printf 'not-the-pin\n' >"$T/badpin"
chmod 600 "$T/badpin"
expect_fail 4 "wrong user PIN for token 'airca'" "$A" --pin-file "$T/badpin" journal seal </dev/null
grep -q 'attempt 2' "$T/.stderr" "$T/.stdout" && fail "a PIN file was tried twice"

# 3. a profile naming a token that is not there, stdin closed: a clear error, no wait
sed "s/^label = airca$/label = Factory Root 2026/" "$TOP/hsm-profiles/softhsm2.conf" >"$T/fr.conf"
grep -q '^label = Factory Root 2026$' "$T/fr.conf" || fail "profile not rewritten"
start=$(date +%s)
expect_fail 1 "no token labelled 'Factory Root 2026' in module .*found tokens 'airca'" \
	timeout 20 "$A" --hsm "$T/fr.conf" journal seal <&-
[ $(( $(date +%s) - start )) -lt 15 ] || fail "the missing token waited"
grep -q 'Insert token' "$T/.stderr" && fail "asked for the token with stdin closed"
# with a PIN given in advance (automation) it does not ask either, even on a terminal
rc=0
$PTY "expect:no token labelled 'Factory Root 2026'" -- "$A" --pin-env TEST_PIN --hsm "$T/fr.conf" journal seal >"$T/pty3" 2>&1 || rc=$?
[ $rc -eq 1 ] || { cat "$T/pty3"; fail "automatic PIN, missing token exited $rc"; }
grep -q 'Insert token' "$T/pty3" && fail "asked for the token under automation"

# 4. on a terminal: "Insert token", the officer inserts it, airca finds it
export AIRCA_HOME="$T/home2"
make_token "Factory Root 2026"
airca --hsm "$T/fr.conf" init --factory acme >/dev/null || fail "init on 'Factory Root 2026'"
tokdir=$(grep -l "Factory Root 2026" "$T"/tokens/*/token.object | xargs dirname)
[ -d "$tokdir" ] || fail "token directory of 'Factory Root 2026' not found"
mkdir "$T/drawer"
mv "$tokdir" "$T/drawer/"
rc=0
$PTY "expect:Insert token 'Factory Root 2026', then press Enter" "shell:mv '$T/drawer/$(basename "$tokdir")' '$T/tokens/'" \
	"send:\n" "expect:user PIN for token 'Factory Root 2026'" "send:$TEST_PIN\n" "expect:journal sealed at seq" \
	-- "$A" --hsm "$T/fr.conf" journal seal >"$T/pty4" 2>&1 || rc=$?
cat "$T/pty4"
[ $rc -eq 0 ] || fail "insert-token prompt then seal exited $rc"
"$A" journal verify >/dev/null || fail "journal of home2"

# cancelled: the officer types q
mv "$tokdir" "$T/drawer/"
rc=0
$PTY "expect:Insert token 'Factory Root 2026'" "send:q\n" -- "$A" --hsm "$T/fr.conf" journal seal >"$T/pty5" 2>&1 || rc=$?
[ $rc -ne 0 ] || fail "cancelled insert-token prompt succeeded"
grep -q "Insert token 'Factory Root 2026': cancelled: no token labelled 'Factory Root 2026'" "$T/pty5" || { cat "$T/pty5"; fail "cancel not reported"; }
mv "$T/drawer/$(basename "$tokdir")" "$T/tokens/"
echo ok
