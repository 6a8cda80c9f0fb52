#!/usr/bin/env bash
# Where init --pin-shares stops (docs/custody.md, "Where init --pin-shares
# stops"): the PIN shares are written before C_SetPIN, pin-quorum-created
# after it.  With strace, on a fresh token each: kill -9 at the write of the
# last PIN share (the typed PIN still logs in); ENOSPC at the journal write
# of pin-quorum-created (the typed PIN is set back); kill -9 at that write
# (the new PIN is on the token, no journal records its shares: the SO sets
# a user PIN with pkcs11-tool --init-pin, as the docs say).
. "$(dirname "$0")/../lib.sh"
[ "$AIRCA_TEST_TOKEN" = softhsm2 ] || skip "SoftHSM's SO PIN and token files"
command -v strace >/dev/null || skip "no strace"

# a fresh token and home for case $1 (label airca, the same PINs)
fresh() {
	export AIRCA_HOME=$T/home-$1 SOFTHSM2_CONF=$T/softhsm2-$1.conf
	mkdir -p "$T/tokens-$1"
	sed "s|$T/tokens|$T/tokens-$1|" "$T/softhsm2.conf" > "$SOFTHSM2_CONF"
	make_token
}

# init --pin-shares under strace; $1 is strace's -e inject= or "" (none)
traced_init() {
	local inj=${1:+-e inject=$1} rc=0
	# shellcheck disable=SC2086
	( ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" strace -f -y -qq -s 120 \
		-o "$T/strace.log" -e trace=write $inj \
		"$AIRCA_BIN" --pin-env TEST_PIN init --factory f --pin-shares 2-of-3 \
		--pin-custodian x --pin-custodian y --pin-custodian z \
		--shares-to "$AIRCA_HOME.pins" > "$T/run.out" 2> "$T/run.err"; exit $? ) 2>/dev/null || rc=$?
	return $rc
}

typed_logs_in() { p11 --login --pin "$TEST_PIN" --list-objects > /dev/null; }

# the write calls, counted as strace counts them (one thread)
fresh probe
traced_init "" || fail "init under strace: $(cat "$T/run.err")"
[ "$(awk '{ print $1 }' "$T/strace.log" | sort -u | wc -l)" = 1 ] || fail "init wrote from more than one thread"
n_share=$(grep -n 'pin-share-3.txt' "$T/strace.log" | head -1 | cut -d: -f1)
n_pq=$(grep -n 'journal.jsonl>, .*pin-quorum-created' "$T/strace.log" | head -1 | cut -d: -f1)
[ -n "$n_share" ] && [ -n "$n_pq" ] && [ "$n_share" -lt "$n_pq" ] ||
	fail "no PIN share write before the pin-quorum-created write (share $n_share, journal $n_pq)"
typed_logs_in && fail "the typed PIN still logs in after init"

# 1. killed while the last PIN share is written: before C_SetPIN
fresh share
rc=0; traced_init "write:signal=KILL:when=$n_share" || rc=$?
[ $rc = 137 ] || fail "kill at the last PIN share: exit $rc"
typed_logs_in || fail "killed before C_SetPIN, the typed PIN no longer logs in"
[ -e "$AIRCA_HOME/airca.json" ] && fail "a killed init left airca.json"

# 2. the pin-quorum-created write fails: the typed PIN is set back, and said
fresh enospc
rc=0; traced_init "write:error=ENOSPC:when=$n_pq" || rc=$?
[ $rc = 1 ] || fail "ENOSPC on pin-quorum-created: exit $rc: $(cat "$T/run.err")"
grep -q "No space left on device.*the user PIN typed at init was set back: the PIN shares just handed out are void" "$T/run.err" ||
	fail "ENOSPC on pin-quorum-created: $(cat "$T/run.err")"
typed_logs_in || fail "after a failed pin-quorum-created the typed PIN was not set back"
[ -e "$AIRCA_HOME/airca.json" ] && fail "a failed init left airca.json"
grep -qF "$TEST_PIN" "$T/run.err" "$T/run.out" && fail "the failed init printed the PIN"

# 3. killed at that write: the new PIN is set, no journal records its
# shares; the SO's C_InitPIN is the way back, as docs/custody.md says
fresh kill
rc=0; traced_init "write:signal=KILL:when=$n_pq" || rc=$?
[ $rc = 137 ] || fail "kill at pin-quorum-created: exit $rc"
typed_logs_in && fail "killed after C_SetPIN, yet the typed PIN logs in"
grep -q '"event":"pin-quorum-created"' "$AIRCA_HOME/journal.jsonl" && fail "pin-quorum-created journaled though killed at its write"
[ -e "$AIRCA_HOME.pins/pin-share-3.txt" ] || fail "the PIN shares were not out before C_SetPIN"
p11 --login --login-type so --so-pin 5678-so-pin --init-pin --new-pin 9999-reset-pin > /dev/null ||
	fail "the SO cannot set a user PIN"
p11 --login --pin 9999-reset-pin --list-objects > /dev/null || fail "the SO's new user PIN does not log in"
# the home is a failed init: refused, with what to do
expect_fail 1 "holds a failed init \(journal.jsonl but no airca.json\)" airca init --factory f
grep -q "key pair airca-root, key pair airca-audit" "$T/.stderr" || fail "refusal: $(cat "$T/.stderr")"
true
