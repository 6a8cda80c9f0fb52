#!/usr/bin/env bash
# A re-run of batch sign skips (and re-exports) only what this CA signed
# and is still valid: a request whose certificate was revoked since is not
# taken for done, and its revoked certificate is not handed out again; one
# that another device CA signed is not this CA's.
. "$(dirname "$0")/../lib.sh"
GEN="$TOP/$AIRCA_BUILD/tests/gen-csrs"

init_ca acme
airca device-ca create --user-id u1 --label dca1 >/dev/null
IN=$T/in
mkdir -p "$IN"
"$GEN" "$IN" 3 acme
airca batch sign --ca dca1 --in "$IN" --out "$T/out1" >"$T/1.out" || fail "first run"
grep -q "3 signed" "$T/1.out" || { cat "$T/1.out"; fail "first run: $(cat "$T/1.out")"; }
victim=$(ls "$T/out1"/*.pem | head -1)
serial=$(openssl x509 -in "$victim" -noout -serial | cut -d= -f2 | tr 'A-F' 'a-f')
airca revoke --serial "$serial" --reason keyCompromise >/dev/null || fail "revoke"

airca batch sign --ca dca1 --in "$IN" --out "$T/out2" >"$T/2.out" 2>"$T/2.err" || true
[ -e "$T/out2/$(basename "$victim")" ] && fail "the revoked certificate was re-exported"
python3 - "$T/out2/summary.json" "$serial" <<'PY' || fail "summary.json of the re-run: $(cat "$T/2.out")"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["skipped"] == 2, ("only the two valid ones are skipped", s["skipped"])
assert s["signed"] + s["rejected"] == 1, s
for c in s["certificates"]:
    assert c.get("serial", "").lower() != sys.argv[2], ("revoked serial handed out", c)
PY

# signed before by another device CA: not this CA's to re-export
airca device-ca create --user-id u2 --label dca2 >/dev/null
IN2=$T/in2
mkdir -p "$IN2"
"$GEN" "$IN2" 1 acme
airca batch sign --ca dca2 --in "$IN2" --out "$T/out3" >"$T/3.out" || fail "dca2 run"
airca batch sign --ca dca1 --in "$IN2" --out "$T/out4" >"$T/4.out" 2>"$T/4.err" || true
python3 - "$T/out4/summary.json" <<'PY' || fail "summary.json of the dca1 run: $(cat "$T/4.out")"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["skipped"] == 0, ("dca2's certificate taken for dca1's", s)
PY
echo "batch-revoked ok"
