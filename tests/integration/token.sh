#!/usr/bin/env bash
# token.sh: airca token list / token keys on a fresh SoftHSM token, PIN sources, PIN never printed.
. "$(dirname "$0")/../lib.sh"

make_token
serial=$(softhsm2-util --show-slots | awk '/Serial number:/ && NF == 3 { print $3; exit }')
[ -n "$serial" ] || fail "softhsm2-util shows no serial"

# list: label, serial, flags; the module from the HSM profile or --module
airca_nopin token list >"$T/list" || fail "token list failed"
grep -q "token: *airca$" "$T/list" || fail "token list lacks the label"
grep -q "serial: *$serial$" "$T/list" || fail "token list lacks serial $serial"
grep -q "flags: .*initialized, login-required" "$T/list" || fail "token list lacks flags"
AIRCA_HSM= airca_nopin token list --module /usr/lib/softhsm/libsofthsm2.so >"$T/list2"
cmp -s "$T/list" "$T/list2" || fail "--module and the profile's module differ"
expect_fail 2 "give --module PATH or --hsm PROFILE" env AIRCA_HSM= "$AIRCA_BIN" token list
expect_fail 4 "cannot load PKCS#11 module /nonexistent.so" \
	"$AIRCA_BIN" token list --module /nonexistent.so

# --json is JSON with the same token
airca_nopin --json token list >"$T/list.json"
python3 -c '
import json, sys
slots = json.load(open(sys.argv[1]))["slots"]
t = [s for s in slots if s.get("label") == "airca"]
assert len(t) == 1 and t[0]["serial"] == sys.argv[2], t
assert "initialized" in t[0]["flags"] and "login-required" in t[0]["flags"]
' "$T/list.json" "$serial" || fail "token list --json"

# keys: logs in; a fresh token has none
airca token keys >"$T/keys" 2>&1 || { cat "$T/keys"; fail "token keys"; }
grep -q "no keys or certificates on token 'airca'" "$T/keys" || fail "token keys output"
airca --json token keys >"$T/keys.json"
python3 -c 'import json, sys
d = json.load(open(sys.argv[1])); assert d["keys"] == [] and d["exit"] == 0, d' "$T/keys.json" ||
	fail "token keys --json"

# wrong PIN: exit 4 and says so
WRONG=0000 expect_fail 4 "wrong user PIN for token 'airca'" \
	"$AIRCA_BIN" --pin-env WRONG token keys
expect_fail 2 "--pin-env NOPE: the variable is not set" \
	"$AIRCA_BIN" --pin-env NOPE token keys

# --pin-file: refused unless only the owner can read it; first line only
printf '%s\nsecond line\n' "$TEST_PIN" >"$T/pin"
chmod 644 "$T/pin"
expect_fail 1 "chmod 600 $T/pin" "$AIRCA_BIN" --pin-file "$T/pin" token keys
chmod 600 "$T/pin"
"$AIRCA_BIN" --pin-file "$T/pin" token keys >"$T/out" 2>&1 || { cat "$T/out"; fail "--pin-file 0600"; }
ln -s "$T/pin" "$T/pin-link"
expect_fail 1 "symlink" "$AIRCA_BIN" --pin-file "$T/pin-link" token keys

# no PIN source and no terminal: a clear error, no read from stdin
expect_fail 2 "no PIN source: use --pin-env VAR or --pin-file F, or run on a terminal" \
	setsid -w "$AIRCA_BIN" token keys

# the PIN never shows in any output
for f in "$T"/list* "$T"/keys* "$T/out" "$T/err"; do
	! grep -q -- "$TEST_PIN" "$f" || fail "$f shows the PIN"
done

# two tokens with the same label: refuse to guess
make_token
expect_fail 4 "several tokens labelled 'airca'" "$AIRCA_BIN" --pin-env TEST_PIN token keys
echo ok
