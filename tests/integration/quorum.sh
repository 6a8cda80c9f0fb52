#!/usr/bin/env bash
# Quorum login (issue 13): init --pin-shares 2-of-3 splits the user PIN among
# three holders; later commands log in with 2 PIN shares, never a PIN.
# Refusals: one share, a share of another set, a mistyped share, a repeated
# share, a PIN given as well.  The PIN is nowhere in the journal or the home.
. "$(dirname "$0")/../lib.sh"
H=$AIRCA_HOME
J=$H/journal.jsonl
q() { "$AIRCA_BIN" "$@"; }

make_token
# usage refusals, before anything is asked or made
expect_fail 2 "--pin-shares '1-of-3': say K-of-N with 2 <= K <= N <= 16" \
	airca init --factory acme --pin-shares 1-of-3 --pin-custodian a --pin-custodian b --pin-custodian c
expect_fail 2 "--pin-shares 'none'" airca init --factory acme --pin-shares none
expect_fail 2 "--pin-shares 2-of-3 names 3 holders: give --pin-custodian NAME 3 times \(2 given\)" \
	airca init --factory acme --pin-shares 2-of-3 --pin-custodian a --pin-custodian b
expect_fail 2 "--pin-custodian 'a' named twice" \
	airca init --factory acme --pin-shares 2-of-3 --pin-custodian a --pin-custodian a --pin-custodian b
expect_fail 2 "--pin-custodian goes with --pin-shares K-of-N" airca init --factory acme --pin-custodian a
expect_fail 2 "--shares-to goes with --backup K-of-N or --pin-shares K-of-N" \
	airca init --factory acme --shares-to "$T/x"
[ -e "$J" ] && fail "a refused init left a journal"

airca init --factory acme --pin-shares 2-of-3 --pin-custodian dora --pin-custodian erik \
	--pin-custodian fay --shares-to "$T/pins" > "$T/init.out"
grep -q "login 2-of-3 shares of the user PIN, set [0-9a-f]\{8\}: dora, erik, fay" "$T/init.out" ||
	fail "init output: $(cat "$T/init.out")"
for n in 1 2 3; do
	[ "$(stat -c %a "$T/pins/pin-share-$n.txt")" = 600 ] || fail "pin-share-$n.txt not 0600"
done
grep -q "^airca PIN share 2 of 3 (any 2 rebuild the user PIN), set [0-9a-f]\{8\}, holder erik$" \
	"$T/pins/pin-share-2.txt" || fail "share 2: $(head -1 "$T/pins/pin-share-2.txt")"
# the journal: policy, set, token, each share's hash and holder; never a share, never the PIN
pq=$(grep '"event":"pin-quorum-created"' "$J") || fail "no pin-quorum-created"
printf '%s' "$pq" | grep -q '"pin":{"replaced":true,"length":24,"alphabet":"A-Z a-z 0-9","source":"token RNG"}' ||
	fail "pin-quorum-created does not say the PIN was replaced: $pq"
# journaled after every event of the keys: the PIN was replaced at the end, after the hand-out
[ "$(grep -c '"event":"key-generated"' "$J")" = 2 ] || fail "keys not journaled"
tail -1 "$J" | grep -q '"event":"pin-quorum-created"\|"event":"checkpoint"' || fail "pin-quorum-created is not the last event: $(tail -1 "$J")"
printf '%s' "$pq" | grep -q '"pin-policy":"2-of-3","k":2,"n":3' || fail "pin-quorum-created policy: $pq"
printf '%s' "$pq" | grep -q '"name":"erik","share-sha256":"[0-9a-f]\{64\}"' || fail "pin-quorum-created lacks erik's hash"
for n in 1 2 3; do
	body=$(grep -v '^airca PIN share' "$T/pins/pin-share-$n.txt" | head -1 | cut -c4-22 | tr -d ' ')
	grep -qF "$body" "$J" && fail "PIN share $n's text is in the journal"
done

# a later command logs in with 2 of the 3 share files, and says nothing of a PIN
q --pin-share-file "$T/pins/pin-share-3.txt" --pin-share-file "$T/pins/pin-share-2.txt" \
	device-ca create --user-id u2 --label dca2 > "$T/dca2.out" 2>&1 ||
	fail "device-ca create with 2 PIN shares: $(cat "$T/dca2.out")"
grep -q '"label":"dca2"' "$J" || fail "dca2 not journaled"

# a command stopped by a full disk leaves entries no signature covers:
# 'journal repair' (which cannot replay such a journal) logs in by the
# shares too, checked against the signed pin-quorum-created
(strace -f -qq -o /dev/null -e trace=fdatasync -e inject=fdatasync:error=ENOSPC:when=2 \
	"$AIRCA_BIN" --pin-share-file "$T/pins/pin-share-3.txt" --pin-share-file "$T/pins/pin-share-2.txt" \
	device-ca create --user-id u9 --label dca9 >/dev/null 2>"$T/enospc.err"; exit $?) 2>/dev/null &&
	fail "device-ca create on a full disk succeeded"
grep -q "No space left on device" "$T/enospc.err" || fail "full disk: $(cat "$T/enospc.err")"
expect_fail 1 "that no signature covers" q --pin-share-file "$T/pins/pin-share-3.txt" \
	--pin-share-file "$T/pins/pin-share-2.txt" device-ca create --user-id u9 --label dca9
expect_fail 1 "1 PIN share given" q --pin-share-file "$T/pins/pin-share-1.txt" journal repair --adopt --yes
q --pin-share-file "$T/pins/pin-share-1.txt" --pin-share-file "$T/pins/pin-share-2.txt" \
	journal repair --adopt --yes > "$T/repair.out" 2>&1 ||
	fail "journal repair on a quorum home: $(cat "$T/repair.out")"
q journal verify > /dev/null || fail "journal verify after the repair"

# token keys reads the home's journal: it logs in with 2 PIN shares, never a PIN
"$AIRCA_BIN" --pin-share-file "$T/pins/pin-share-1.txt" --pin-share-file "$T/pins/pin-share-3.txt" \
	token keys > "$T/keys.out" 2>&1 || fail "token keys with 2 PIN shares: $(cat "$T/keys.out")"
grep -q "^key 'airca-root'" "$T/keys.out" || fail "token keys: $(cat "$T/keys.out")"
expect_fail 2 "this home logs in with 2 of the 3 shares of its user PIN \(set [0-9a-f]{8}\), not with a PIN" \
	airca token keys
expect_fail 1 "1 PIN share given" q --pin-share-file "$T/pins/pin-share-1.txt" token keys

# one share is refused, before the token is asked anything
expect_fail 1 "1 PIN share given: this home logs in with 2 of the 3 shares of its user PIN \(set [0-9a-f]{8}\); bring 1 more holder" \
	q --pin-share-file "$T/pins/pin-share-1.txt" device-ca create --user-id u3 --label dca3
# the same share twice counts once
expect_fail 1 "PIN share 1 \(holder dora\) was given twice" \
	q --pin-share-file "$T/pins/pin-share-1.txt" --pin-share-file "$T/pins/pin-share-1.txt" \
	device-ca create --user-id u3 --label dca3
# a PIN given as well is refused: nobody logs in alone
expect_fail 2 "this home logs in with 2 of the 3 shares of its user PIN \(set [0-9a-f]{8}\), not with a PIN" \
	airca --pin-share-file "$T/pins/pin-share-1.txt" --pin-share-file "$T/pins/pin-share-2.txt" \
	device-ca create --user-id u3 --label dca3
expect_fail 2 "not with a PIN" airca device-ca create --user-id u3 --label dca3
# no terminal and no share files: said so, never a hang
expect_fail 2 "there is no terminal to type them on: give --pin-share-file F 2 times" \
	setsid "$AIRCA_BIN" device-ca create --user-id u3 --label dca3 < /dev/null
# a share readable by others is refused, as a --pin-file is
cp "$T/pins/pin-share-2.txt" "$T/open.txt" && chmod 644 "$T/open.txt"
expect_fail 1 "--pin-share-file $T/open.txt: mode 0644 lets group or others at the share: chmod 600" \
	q --pin-share-file "$T/pins/pin-share-1.txt" --pin-share-file "$T/open.txt" \
	device-ca create --user-id u3 --label dca3
# one character of line 2 mistyped (the next letter of the alphabet): caught by the line's checksum
awk 'NR == 3 { c = substr($0, 5, 1); n = index("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", c);
	$0 = substr($0, 1, 4) substr("BCDEFGHIJKLMNOPQRSTUVWXYZ234567A", n, 1) substr($0, 6) } { print }' \
	"$T/pins/pin-share-2.txt" > "$T/typo.txt"
chmod 600 "$T/typo.txt"
expect_fail 1 "line 2: the checksum does not match: a typing error in this line" \
	q --pin-share-file "$T/pins/pin-share-1.txt" --pin-share-file "$T/typo.txt" \
	device-ca create --user-id u3 --label dca3

# a share of another home's PIN (another set) is refused by its set and hash
(
	export AIRCA_HOME=$T/other SOFTHSM2_CONF=$T/softhsm2-other.conf
	mkdir -p "$T/tokens-other"
	sed "s|$T/tokens|$T/tokens-other|" "$T/softhsm2.conf" > "$SOFTHSM2_CONF"
	make_token
	airca init --factory other --pin-shares 2-of-3 --pin-custodian x --pin-custodian y \
		--pin-custodian z --shares-to "$T/opins" >/dev/null
)
expect_fail 1 "share 2 is not a share of this home's user PIN \(set [0-9a-f]{8}; the PIN's set is [0-9a-f]{8}\)" \
	q --pin-share-file "$T/pins/pin-share-1.txt" --pin-share-file "$T/opins/pin-share-2.txt" \
	device-ca create --user-id u3 --label dca3
grep -c '"label":"dca3"' "$J" >/dev/null && fail "a refused login created dca3"

# C_SetPIN refused (p11shim): init fails saying so, after the shares were
# written; the typed PIN still logs in, no airca.json, and a re-run is refused
(
	export AIRCA_HOME=$T/fault SOFTHSM2_CONF=$T/softhsm2-fault.conf
	mkdir -p "$T/tokens-fault"
	sed "s|$T/tokens|$T/tokens-fault|" "$T/softhsm2.conf" > "$SOFTHSM2_CONF"
	make_token
	use_shim
	P11SHIM_FAIL=C_SetPIN:1:CKR_DEVICE_ERROR expect_fail 4 \
		"token 'airca': C_SetPIN failed: .*CKR_DEVICE_ERROR.*; the user PIN is unchanged" \
		airca init --factory f --pin-shares 2-of-3 --pin-custodian x --pin-custodian y \
		--pin-custodian z --shares-to "$T/fpins"
	grep -qF "$TEST_PIN" "$T/.stderr" "$T/.stdout" && fail "the failed init printed the PIN"
	[ -e "$T/fpins/pin-share-3.txt" ] || fail "the PIN shares were not written before C_SetPIN"
	[ -e "$AIRCA_HOME/airca.json" ] && fail "a failed C_SetPIN left a usable home"
	grep -q '"event":"pin-quorum-created"' "$AIRCA_HOME/journal.jsonl" &&
		fail "pin-quorum-created journaled though the PIN was not replaced"
	p11 --login --pin "$TEST_PIN" --list-objects > /dev/null ||
		fail "after a failed C_SetPIN the typed PIN no longer logs in"
	# the re-run says what to move aside and what the failed run left on the token
	H2=$AIRCA_HOME
	expect_fail 1 "$H2 holds a failed init \(journal.jsonl but no airca.json\), and an existing journal is never overwritten: move it aside \(mv $H2 $H2.failed\)" \
		airca init --factory f --pin-shares 2-of-3 \
		--pin-custodian x --pin-custodian y --pin-custodian z --shares-to "$T/fpins2"
	grep -q "that run left journal.jsonl, registry.jsonl, root.pem, audit.pem, policy.conf, certs in the home" "$T/.stderr" ||
		fail "the refusal does not list the home's files: $(cat "$T/.stderr")"
	grep -q "its journal records on token 'airca' (serial [0-9a-f]*): key pair airca-root, key pair airca-audit; a new init refuses" "$T/.stderr" ||
		fail "the refusal does not list the token's objects: $(cat "$T/.stderr")"
	[ -e "$T/fpins2" ] && fail "the refused re-run wrote shares"
	# doing what it says makes the re-run work, in the same home path
	mv "$H2" "$H2.failed"
	AIRCA_HOME=$H2.failed airca token keys > "$T/fkeys.out" || fail "token keys on the moved home"
	grep -q "^key 'airca-root'" "$T/fkeys.out" || fail "token keys on the moved home: $(cat "$T/fkeys.out")"
	for l in airca-root airca-audit; do
		for ty in privkey pubkey cert; do
			p11 --login --pin "$TEST_PIN" --delete-object --type $ty --label $l > /dev/null ||
				fail "pkcs11-tool cannot delete $ty $l"
		done
	done
	airca init --factory f --pin-shares 2-of-3 --pin-custodian x --pin-custodian y \
		--pin-custodian z --shares-to "$T/fpins2" > "$T/f2.out" 2>&1 || fail "init after the clean-up: $(cat "$T/f2.out")"
	p11 --login --pin "$TEST_PIN" --list-objects > /dev/null && fail "the re-run left the typed PIN working"
	true
)

# nothing refused left a trace of the PIN: not in the journal, not anywhere in the home
hexpin=$(printf '%s' "$TEST_PIN" | od -An -tx1 | tr -d ' \n')
grep -rqF "$TEST_PIN" "$H" && fail "the PIN is in the home"
grep -rqiF "$hexpin" "$H" && fail "the PIN (hex) is in the home"
grep -rqF "$(printf '%s' "$TEST_PIN" | base64)" "$H" && fail "the PIN (base64) is in the home"
q journal verify > "$T/verify.out" 2>&1 || fail "journal verify: $(cat "$T/verify.out")"
true
