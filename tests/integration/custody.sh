#!/usr/bin/env bash
# Key custody (issue 13): init --backup 2-of-3 -> device CA -> batch; backup;
# a second, fresh token; restore with 2 of the 3 shares; the restored token
# signs a batch that chains to the same root; the journal verifies and tells
# the whole story.  Refusals: one share, a mistyped share, a share of another
# custody set, a changed bundle, backup under --backup none, and (through
# tests/p11shim) a new key the token reads back as not LOCAL, not
# ALWAYS_SENSITIVE or not WRAP_WITH_TRUSTED.
. "$(dirname "$0")/../lib.sh"
GEN="$TOP/$AIRCA_BUILD/tests/gen-csrs"
export TEST_SO_PIN=5678-so-pin
H=$AIRCA_HOME
J=$H/journal.jsonl
so() { airca --so-pin-env TEST_SO_PIN "$@"; }

make_token
# usage refusals, before anything is asked or made
expect_fail 2 "--backup 1-of-3: K-of-N needs 2 <= K <= N" airca init --factory acme --backup 1-of-3
expect_fail 2 "--backup 2-of-3 names 3 custodians: give --custodian NAME 3 times \(2 given\)" \
	airca init --factory acme --backup 2-of-3 --custodian a --custodian b
expect_fail 2 "--custodian 'a' named twice" \
	airca init --factory acme --backup 2-of-3 --custodian a --custodian a --custodian b
expect_fail 2 "--custodian goes with --backup K-of-N" airca init --factory acme --custodian a
[ -e "$H/journal.jsonl" ] && fail "a refused init left a journal"

# a token that reads a freshly generated K-of-N key back as not LOCAL (made
# elsewhere and imported) or not ALWAYS_SENSITIVE (once in clear): init
# destroys it and stops before any share is written (tests/p11shim)
sed -e "s|^module = .*|module = $TOP/$AIRCA_BUILD/tests/p11shim.so|" \
	"$TOP/hsm-profiles/softhsm2.conf" > "$T/shim.conf"
lie_init() {
	AIRCA_HOME="$T/lie-$1" AIRCA_HSM="$T/shim.conf" P11SHIM_MODULE=/usr/lib/softhsm/libsofthsm2.so \
		env "P11SHIM_LIE_$2=1" "$AIRCA_BIN" --pin-env TEST_PIN --so-pin-env TEST_SO_PIN \
		init --factory acme --backup 2-of-3 --custodian alice --custodian bob \
		--custodian carol --shares-to "$T/lie-$1-shares"
}
for lie in local:LOCAL:"not LOCAL \(generated elsewhere\)" always:ALWAYS_SENSITIVE:"not ALWAYS_SENSITIVE"; do
	IFS=: read -r name knob why <<<"$lie"
	expect_fail 4 "token 'airca' made a ec-p256 key that is $why; it was destroyed" lie_init "$name" "$knob"
	[ -e "$T/lie-$name-shares" ] && fail "shares written for a key read back as $why"
	grep '"event":"command-failed"' "$T/lie-$name/journal.jsonl" | grep -qE "key that is $why" ||
		fail "the refused $knob key is not in the journal"
	airca token keys > "$T/lie-keys.out" 2>&1 || true
	grep -q "airca-root" "$T/lie-keys.out" && fail "a root key read back as $why is still on the token"
done

so init --factory acme --backup 2-of-3 --custodian alice --custodian bob \
	--custodian carol --shares-to "$T/shares" > "$T/init.out"
grep -q "custody 2-of-3, set [0-9a-f]\{8\}: alice, bob, carol" "$T/init.out" || fail "init output: $(cat "$T/init.out")"
for n in 1 2 3; do
	[ "$(stat -c %a "$T/shares/share-$n.txt")" = 600 ] || fail "share-$n.txt not 0600"
done
grep -q "custodian bob" "$T/shares/share-2.txt" || fail "share 2 names bob"
# the journal: the policy in the init entry, the share hashes, never a share
head -1 "$J" | grep -q '"key-policy":"2-of-3"' || fail "journal-open lacks key-policy"
cc=$(grep '"event":"custody-created"' "$J")
for n in 1 2 3; do
	body=$(grep -v '^airca custody share' "$T/shares/share-$n.txt" | head -1 | cut -c4-22 | tr -d ' ')
	grep -qF "$body" "$J" && fail "share $n's text is in the journal"
done
printf '%s' "$cc" | grep -q '"name":"alice","share-sha256":"[0-9a-f]\{64\}"' || fail "custody-created lacks alice's hash"
printf '%s' "$cc" | grep -q '"trusted":true,"wrap":true,"unwrap":false' || fail "custody key attributes"
grep '"event":"key-generated"' "$J" | grep -q '"extractable":true,.*"wrap-with-trusted":true' || fail "keys not wrap-with-trusted"

# the token: CA keys extractable only under a trusted key; the custody key wraps only
airca token keys > "$T/keys.out"
grep -q "extractable only wrapped under a trusted key (wrap-with-trusted)" "$T/keys.out" || fail "token keys: $(cat "$T/keys.out")"
grep -A1 "custody key 'airca-custody'" "$T/keys.out" | grep -q "AES, 32 bytes, trusted, wraps, sensitive, not extractable, not modifiable" ||
	fail "token keys: custody key: $(cat "$T/keys.out")"

# a device CA, a batch
airca device-ca create --user-id u1 --label dca1 >/dev/null
mkdir "$T/in1" && "$GEN" "$T/in1" 3 acme a- && airca batch sign --ca dca1 --in "$T/in1" --out "$T/out1" >/dev/null
# a token that reads a K-of-N key back as extractable but not
# wrap-with-trusted (it could leave under any key): refused before it signs
mkdir "$T/in1b" && "$GEN" "$T/in1b" 2 acme b-
AIRCA_HSM="$T/shim.conf" P11SHIM_MODULE=/usr/lib/softhsm/libsofthsm2.so P11SHIM_LIE_WWT=1 \
	expect_fail 4 "key '[^']+' on token 'airca' is EXTRACTABLE without WRAP_WITH_TRUSTED" \
	airca batch sign --ca dca1 --in "$T/in1b" --out "$T/out1b"
[ -e "$T/out1b/SHA256SUMS" ] && fail "a key read back as not wrap-with-trusted signed a batch"

# backup
airca backup --out "$T/bundle" > "$T/backup.out"
grep -q "backup of 3 keys written" "$T/backup.out" || fail "backup output: $(cat "$T/backup.out")"
(cd "$T/bundle" && sha256sum -c --quiet SHA256SUMS) || fail "bundle SHA256SUMS"
for l in airca-root airca-audit dca1; do
	[ -s "$T/bundle/$l.wrapped" ] || fail "$l.wrapped missing"
	openssl x509 -in "$T/bundle/$l.pem" -noout || fail "$l.pem"
done
grep -q "PRIVATE KEY" "$T/bundle/"* && fail "a clear key in the bundle"
msha=$(sha256sum "$T/bundle/manifest.json" | cut -c1-64)
grep '"event":"backup-written"' "$J" | grep -q "\"manifest-sha256\":\"$msha\"" || fail "backup-written lacks the manifest hash"
expect_fail 1 "exists" airca backup --out "$T/bundle/manifest.json"
# the same through the shipped ceremony script, confirmations from a file
mkdir "$T/usb"
printf '%s\n' "$TEST_PIN" > "$T/pin" && chmod 600 "$T/pin"
printf '%s\n' "participant officer Alice" "participant officer Bob" "participant witness Carol" \
	"confirm 1 Carol" "confirm 2 Alice" "confirm 3 Carol" "confirm 4 Alice" "confirm 5 Bob" \
	"confirm 6 Carol" "confirm 7 Carol" > "$T/confirm"
"$AIRCA_BIN" --pin-file "$T/pin" ceremony run "$TOP/ceremony-scripts/backup.ceremony" --param usb="$T/usb" \
	--param out="$T/usb/bundle" --confirm-file "$T/confirm" > "$T/cer.out" 2>&1 || fail "backup.ceremony: $(cat "$T/cer.out")"
grep -q "sealed" "$T/cer.out" || fail "backup.ceremony not sealed"
[ -s "$T/usb/bundle/manifest.json" ] || fail "backup.ceremony wrote no bundle"
[ "$(grep -c '"event":"backup-written"' "$J")" -eq 2 ] || fail "two backups journaled"

# a second, fresh token and a profile that picks it
make_token airca2
sed 's/^label = airca$/label = airca2/' "$TOP/hsm-profiles/softhsm2.conf" > "$T/new.conf"
NEW="--hsm $T/new.conf"

# refusals before the token is touched
expect_fail 1 "1 share given: custody set [0-9a-f]{8} needs 2 of its 3 shares" \
	so $NEW restore --from "$T/bundle" --share-file "$T/shares/share-1.txt"
# one character of line 2 mistyped (the next letter of the alphabet)
awk 'NR == 3 { c = substr($0, 5, 1); n = index("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", c);
	$0 = substr($0, 1, 4) substr("BCDEFGHIJKLMNOPQRSTUVWXYZ234567A", n, 1) substr($0, 6) } { print }' \
	"$T/shares/share-2.txt" > "$T/typo.txt"
expect_fail 1 "line 2: the checksum does not match: a typing error in this line" \
	so $NEW restore --from "$T/bundle" --share-file "$T/shares/share-1.txt" --share-file "$T/typo.txt"
expect_fail 1 "given twice" \
	so $NEW restore --from "$T/bundle" --share-file "$T/shares/share-1.txt" --share-file "$T/shares/share-1.txt"

# a share of another custody set (another home's) is refused by its set and hash
(
	export AIRCA_HOME=$T/other SOFTHSM2_CONF=$T/softhsm2-other.conf
	mkdir -p "$T/tokens-other"
	sed "s|$T/tokens|$T/tokens-other|" "$T/softhsm2.conf" > "$SOFTHSM2_CONF"
	make_token
	so init --factory other --backup 2-of-3 --custodian x --custodian y --custodian z --shares-to "$T/oshares" >/dev/null
)
expect_fail 1 "share 2 is a share of another custody set \(set [0-9a-f]{8}; this home's set is [0-9a-f]{8}\)" \
	so $NEW restore --from "$T/bundle" --share-file "$T/shares/share-1.txt" --share-file "$T/oshares/share-2.txt"

# a changed bundle: a blob altered (and SHA256SUMS made to match) is refused by the manifest
cp -r "$T/bundle" "$T/bad"
flip_byte "$T/bad/dca1.wrapped" 10
(cd "$T/bad" && sha256sum manifest.json *.wrapped *.pem > SHA256SUMS)
expect_fail 1 "dca1.wrapped is not the blob the backup wrote" \
	so $NEW restore --from "$T/bad" --share-file "$T/shares/share-1.txt" --share-file "$T/shares/share-3.txt"
# a manifest the journal never recorded
cp -r "$T/bundle" "$T/bad2"
sed -i 's/"factory": "acme"/"factory": "acme "/' "$T/bad2/manifest.json"
(cd "$T/bad2" && sha256sum manifest.json *.wrapped *.pem > SHA256SUMS)
expect_fail 1 "is not a backup this home's journal records" \
	so $NEW restore --from "$T/bad2" --share-file "$T/shares/share-1.txt" --share-file "$T/shares/share-3.txt"
p11n() { pkcs11-tool --module /usr/lib/softhsm/libsofthsm2.so --token-label airca2 "$@" 2>/dev/null; }
[ -z "$(p11n --login --pin "$TEST_PIN" -O)" ] || fail "a refused restore touched the new token"

# no share files and no terminal to type them on
expect_fail 2 "no terminal to type a share on" setsid -w "$AIRCA_BIN" --so-pin-env TEST_SO_PIN $NEW restore --from "$T/bundle"

# interrupted: a wrong user PIN after the SO imported the custody key leaves the token fresh
export BAD_PIN=0000-wrong
expect_fail 4 "wrong user PIN" "$AIRCA_BIN" --pin-env BAD_PIN --so-pin-env TEST_SO_PIN $NEW \
	restore --from "$T/bundle" --share-file "$T/shares/share-1.txt" --share-file "$T/shares/share-3.txt"
# (nothing to sign it with yet: the journal is left as it was, and verifies)
"$AIRCA_BIN" journal verify >/dev/null || fail "journal after the interrupted restore"
[ -z "$(p11n -O)" ] || fail "the interrupted restore left objects on the new token: $(p11n -O)"

# restore with 2 of the 3 shares (carol's and alice's)
so $NEW restore --from "$T/bundle" --share-file "$T/shares/share-3.txt" \
	--share-file "$T/shares/share-1.txt" > "$T/restore.out"
grep -q "restored 3 keys onto token 'airca2'" "$T/restore.out" || fail "restore output: $(cat "$T/restore.out")"
[ "$(grep -c 'test signature verified' "$T/restore.out")" -eq 3 ] || fail "test signatures"
rs=$(grep '"event":"custody-restored"' "$J")
printf '%s' "$rs" | grep -q '"shares":\[{"share":3,"name":"carol"},{"share":1,"name":"alice"}\]' || fail "custody-restored shares: $rs"
nserial=$(softhsm2-util --show-slots 2>/dev/null | awk '/Label:/{l=$2} /Serial number:/{s=$3} l=="airca2"&&s{print s; exit}')
printf '%s' "$rs" | grep -q '"token":{"label":"airca2"' || fail "custody-restored lacks the new token"

# the restored token: same keys (wrap-with-trusted, not local), signs a batch chaining to the same root
$AIRCA_BIN --pin-env TEST_PIN $NEW token keys > "$T/keys2.out" 2>/dev/null || true
export TEST_PIN
"$AIRCA_BIN" --pin-env TEST_PIN $NEW token keys > "$T/keys2.out"
grep -q "restored (not local)" "$T/keys2.out" || fail "restored keys: $(cat "$T/keys2.out")"
grep -q "custody key 'airca-custody'" "$T/keys2.out" || fail "no custody key on the new token"
mkdir "$T/in2" && "$GEN" "$T/in2" 3 acme b-
"$AIRCA_BIN" --pin-env TEST_PIN $NEW batch sign --ca dca1 --in "$T/in2" --out "$T/out2" >/dev/null
for f in "$T/out2"/*.pem; do
	openssl verify -CAfile "$H/root.pem" -untrusted "$f" "$f" >/dev/null || fail "$f does not chain to the root"
done
i1=$(openssl x509 -in "$(ls "$T/out1"/*.pem | head -1)" -noout -issuer)
i2=$(openssl x509 -in "$(ls "$T/out2"/*.pem | head -1)" -noout -issuer)
[ "$i1" = "$i2" ] || fail "issuer differs after restore"
# the old token is no longer the home's
expect_fail 1 "this home belongs to token serial" airca device-ca create --user-id u2 --label dca2
"$AIRCA_BIN" journal verify >/dev/null || fail "journal verify after restore"
"$AIRCA_BIN" journal show > "$T/show.out"
for e in custody-created backup-written custody-restored; do
	grep -q "$e" "$T/show.out" || fail "journal show lacks $e"
done
# a second restore onto the now-used token is refused
expect_fail 1 "holds a custody key or a root already" \
	so $NEW restore --from "$T/bundle" --share-file "$T/shares/share-1.txt" --share-file "$T/shares/share-2.txt"

# custody check: each custodian's drill, journaled; a wrong one refused
"$AIRCA_BIN" --pin-env TEST_PIN $NEW custody check --share-file "$T/shares/share-2.txt" > "$T/check.out"
grep -q "share 2 of custody set [0-9a-f]\{8\} (2-of-3) matches the journal's record for custodian bob" "$T/check.out" ||
	fail "custody check: $(cat "$T/check.out")"
grep -q '"event":"custody-checked".*"name":"bob","result":"matches"' "$J" || fail "custody-checked not journaled"
expect_fail 1 "of another custody set" "$AIRCA_BIN" --pin-env TEST_PIN $NEW custody check --share-file "$T/oshares/share-1.txt"

# a command stopped by a full disk leaves unsigned entries: 'journal repair'
# signs them on this home's keys (extractable only wrapped, on the token
# the restore moved the home to)
(strace -f -qq -o /dev/null -e trace=fdatasync -e inject=fdatasync:error=ENOSPC:when=2 \
	"$AIRCA_BIN" --pin-env TEST_PIN $NEW custody check --share-file "$T/shares/share-2.txt" \
	>/dev/null 2>"$T/enospc.err"; exit $?) 2>/dev/null && fail "custody check on a full disk succeeded"
grep -q "No space left on device" "$T/enospc.err" || fail "full disk: $(cat "$T/enospc.err")"
expect_fail 1 "that no signature covers" "$AIRCA_BIN" --pin-env TEST_PIN $NEW custody check --share-file "$T/shares/share-2.txt"
"$AIRCA_BIN" --pin-env TEST_PIN $NEW journal repair --adopt --yes >"$T/repair.out" 2>&1 ||
	fail "journal repair in a K-of-N home: $(cat "$T/repair.out")"
"$AIRCA_BIN" --pin-env TEST_PIN $NEW custody check --share-file "$T/shares/share-2.txt" >/dev/null ||
	fail "custody check after the repair"
"$AIRCA_BIN" journal verify >/dev/null || fail "journal verify after the repair"

# typed on the terminal: each line checked as it is typed, a mistyped one asked again
PTY="python3 $TOP/tests/ptydrive.py 30"
l() { sed -n "$(($1 + 1))p" "$T/shares/share-3.txt"; }
bad2=$(sed -n 3p "$T/typo.txt")
$PTY "expect:Your share, line 1 of 4" "send:$(l 1)\n" "expect:line 2 of 4" "send:$bad2\n" \
	"expect:line 2: the checksum does not match: a typing error in this line; type it again \\(try 2 of 3\\)" \
	"expect:line 2 of 4" "send:$(l 2)\n" "expect:line 3 of 4" "send:$(l 3)\n" "expect:line 4 of 4" \
	"send:$(l 4)\n" "expect:matches the journal's record for custodian carol" -- \
	"$AIRCA_BIN" --pin-env TEST_PIN $NEW custody check > "$T/pty-check.out" 2>&1 ||
	fail "typed custody check: $(cat "$T/pty-check.out")"
grep -qF "$(l 2 | cut -c4-12)" "$T/pty-check.out" && fail "the share was echoed"

# init shows each custodian their share on its own screen, text and QR, then clears it
make_token airca3
sed 's/^label = airca$/label = airca3/' "$TOP/hsm-profiles/softhsm2.conf" > "$T/third.conf"
$PTY "expect:Custody share 1 of 2 is for dora" "expect:dora: press Enter to see your share" "send:\n" \
	"expect:airca custody share 1 of 2 \\(any 2 rebuild the key\\), set [0-9a-f]{8}, custodian dora" \
	"expect:4: [A-Z2-7]{4} [A-Z2-7]{4} [A-Z2-7]{4} [A-Z2-7]{4}  [A-Z2-7]{2}" "expect:▀|▄|█" \
	"expect:The share is shown once" "send:\n" "expect:Custody share 2 of 2 is for emil" "send:\n" \
	"expect:custodian emil" "send:\n" "expect:custody 2-of-2, set [0-9a-f]{8}: dora, emil" -- \
	"$AIRCA_BIN" --home "$T/home3" --hsm "$T/third.conf" --pin-env TEST_PIN --so-pin-env TEST_SO_PIN \
	init --factory third --backup 2-of-2 --custodian dora --custodian emil > "$T/pty-init.out" 2>&1 ||
	fail "init showing shares: $(cat "$T/pty-init.out")"
grep -q $'\033\\[H\033\\[2J' "$T/pty-init.out" || fail "the screen is not cleared after a share"
grep -q '"event":"custody-created".*"name":"emil"' "$T/home3/journal.jsonl" || fail "third home: custody-created"

"$AIRCA_BIN" journal verify >/dev/null || fail "journal verify at the end"
echo "custody: ok"
