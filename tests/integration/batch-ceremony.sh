#!/usr/bin/env bash
# device-batch.ceremony end to end on SoftHSM: a batch with a rejected request
# (exit 3) is a finished step; the ceremony goes on to its seal.
. "$(dirname "$0")/../lib.sh"
GEN="$TOP/$AIRCA_BUILD/tests/gen-csrs"
A=$AIRCA_BIN
S=$TOP/ceremony-scripts/device-batch.ceremony
J=$AIRCA_HOME/journal.jsonl
printf '%s\n' "$TEST_PIN" > "$T/pin"
chmod 600 "$T/pin"

init_ca acme
airca device-ca create --user-id u1 --label dca1 >/dev/null
mkdir -p "$T/usb/in"
"$GEN" "$T/usb/in" 5 acme
"$GEN" "$T/usb/in" 1 evil bad-
cat >"$T/confirm" <<CONF
participant officer Alice
participant officer Bob
participant witness Carol
confirm 1 Carol
confirm 2 Alice
confirm 3 Carol
confirm 4 Alice
confirm 5 Carol
confirm 6 Bob
confirm 7 Carol
confirm 8 Carol
CONF
rc=0
"$A" --pin-file "$T/pin" ceremony run "$S" --param usb="$T/usb" --param ca=dca1 \
	--param in="$T/usb/in" --param out="$T/usb/out" --confirm-file "$T/confirm" \
	>"$T/run" 2>"$T/run.err" || rc=$?
[ $rc -eq 0 ] || { cat "$T/run" "$T/run.err"; fail "device-batch ceremony exited $rc"; }
[ "$(ls "$T/usb/out"/*.pem | wc -l)" -eq 5 ] || fail "want 5 certificates"
grep -q '^bad-0000000.csr: OU' "$T/usb/out/rejected.txt" || fail "the bad request is not in rejected.txt"
grep '"event":"ceremony-step"' "$J" | grep '"step":6' | grep -q '"exit":3' || fail "step 6 not journaled with exit 3"
grep '"event":"ceremony-step"' "$J" | grep '"step":6' | grep -q '"result":"ok"' || fail "step 6 not ok"
tail -1 "$J" | grep -q '"event":"seal"' || fail "the ceremony did not reach its seal"
airca journal verify >/dev/null || fail "journal"
echo "batch-ceremony ok"
