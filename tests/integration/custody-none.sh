#!/usr/bin/env bash
# Key custody refused where it does not belong: a --backup none home never
# backs up (its keys are never extractable), a profile without
# wrap_with_trusted = yes refuses --backup K-of-N (never plain extractable
# keys), a wrong SO PIN leaves nothing behind.
. "$(dirname "$0")/../lib.sh"
export TEST_SO_PIN=5678-so-pin BAD_SO=0000-bad
H=$AIRCA_HOME

# a profile for a token that lacks CKA_WRAP_WITH_TRUSTED (or is not known to have it)
make_token
sed 's/^wrap_with_trusted = yes$/wrap_with_trusted = no/' "$TOP/hsm-profiles/softhsm2.conf" > "$T/nowwt.conf"
expect_fail 1 "does not say wrap_with_trusted = yes under \[keys\]: .*airca never makes plainly extractable CA keys" \
	airca --hsm "$T/nowwt.conf" --so-pin-env TEST_SO_PIN init --factory acme --backup 2-of-2 \
	--custodian a --custodian b --shares-to "$T/s0"
[ -e "$T/s0" ] && fail "shares written for a refused init"
[ -z "$(p11 --login --pin "$TEST_PIN" -O)" ] || fail "a refused init touched the token"

# no terminal to show the shares on (and no --shares-to): refused before anything is asked
expect_fail 2 "no terminal to show each custodian their share on" \
	setsid -w "$AIRCA_BIN" --pin-env TEST_PIN --so-pin-env TEST_SO_PIN init --factory acme --backup 2-of-2 \
	--custodian a --custodian b
[ -e "$H/journal.jsonl" ] && fail "init without a terminal made a journal"

# a wrong SO PIN: nothing left on the token, no shares, and init can run again
expect_fail 4 "wrong SO PIN for token 'airca'" \
	airca --so-pin-env BAD_SO init --factory acme --backup 2-of-2 --custodian a --custodian b --shares-to "$T/s1"
[ -e "$T/s1" ] && fail "shares written after a wrong SO PIN"
[ -z "$(p11 --login --pin "$TEST_PIN" -O)" ] || fail "a wrong SO PIN left objects: $(p11 --login --pin "$TEST_PIN" -O)"
rm -rf "$H"

# --backup none (the default, said out loud): nothing extractable, backup refused
airca init --factory acme --backup none > "$T/init.out"
grep -q "sensitive and not extractable" "$T/init.out" || fail "init output"
head -1 "$H/journal.jsonl" | grep -q '"key-policy":"none"' || fail "journal-open lacks key-policy none"
grep -q custody-created "$H/journal.jsonl" && fail "custody-created in a none home"
p11 --login --pin "$TEST_PIN" -O | grep -A6 'Private Key Object' | grep 'Access:' | while read -r line; do
	echo "$line" | grep -q 'sensitive, always sensitive, never extractable, local' || fail "key access: $line"
done
p11 --login --pin "$TEST_PIN" -O | grep -q 'Secret Key Object' && fail "a custody key in a none home"
airca token keys | grep -q "never extractable" || fail "token keys: never extractable"
expect_fail 1 "this home's key policy is 'none' \(init --backup none\): its CA keys were generated never to leave token 'airca'" \
	airca backup --out "$T/bundle"
[ -e "$T/bundle" ] && fail "a refused backup left a directory"
grep '"event":"command-failed"' "$H/journal.jsonl" | grep -q "key policy is 'none'" || fail "the refusal is not journaled"
expect_fail 1 "this home's key policy is 'none': its keys were never backed up" \
	airca restore --from "$T" --share-file "$T/init.out"
expect_fail 1 "this home's key policy is 'none': it has no custodians" \
	airca custody check --share-file "$T/init.out"
"$AIRCA_BIN" journal verify >/dev/null || fail "journal verify"
echo "custody-none: ok"
