#!/usr/bin/env bash
# batch sign --progress on a slow token (tests/p11shim, 20 ms a signature,
# about 50 a second): progress lines on stderr with the rate measured and the
# time left, consistent with each other; stdout stays pure JSON with --json;
# without --progress and off a terminal, no progress at all.
. "$(dirname "$0")/../lib.sh"
GEN="$TOP/$AIRCA_BUILD/tests/gen-csrs"

init_ca acme
airca device-ca create --user-id u1 --label dca1 >/dev/null
use_shim 3	# max_sessions 3: one signing session, a token that signs one at a time
N=200
mkdir -p "$T/in" "$T/in2"
"$GEN" "$T/in" $N acme
"$GEN" "$T/in2" 20 acme
export P11SHIM_SIGN_DELAY_MS=20

airca --json batch sign --progress --ca dca1 --in "$T/in" --out "$T/out" \
	>"$T/out.json" 2>"$T/err" || { cat "$T/err"; fail "batch sign failed"; }
cat "$T/err"
python3 - "$T/out.json" $N <<'PY' || fail "stdout is not the JSON result alone"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["signed"] == int(sys.argv[2]), d
PY
grep '^progress:' "$T/err" > "$T/lines" || fail "no progress lines on stderr"
[ "$(wc -l < "$T/lines")" -ge 3 ] || fail "want a progress line a second"
tail -1 "$T/lines" | grep -qE "^progress:  $N/$N  [0-9]+/s  done in [0-9.]+s  \($N signed, 0 skipped, 0 rejected\)$" ||
	fail "last line: $(tail -1 "$T/lines")"
# every line in between: count, rate near 50/s, time left that fits them
python3 - "$T/lines" $N <<'PY' || fail "progress lines do not tell the truth"
import re, sys
total = int(sys.argv[2])
seen = 0
for line in open(sys.argv[1]):
    m = re.match(r"progress:  (\d+)/(\d+)  (\d+)/s  about (?:(\d+)m)?(\d+)s left  \(", line)
    if not m:
        continue
    done, tot, rate = int(m[1]), int(m[2]), int(m[3])
    left = int(m[4] or 0) * 60 + int(m[5])
    assert tot == total, line
    # 20 ms a signature: at most 50/s; the build and checks take a little more
    assert 25 <= rate <= 55, ("rate", line)
    want = (total - done) / rate
    assert abs(left - want) <= 1.5, ("time left", line, want)
    seen += 1
assert seen >= 2, "want at least two lines with a rate and time left"
PY

# off a terminal, not asked: nothing on stderr but the warnings
airca batch sign --ca dca1 --in "$T/in2" --out "$T/out2" >"$T/out2.txt" 2>"$T/err2" ||
	{ cat "$T/err2"; fail "second batch"; }
grep -q "progress" "$T/err2" && fail "progress printed though not asked for"
grep -q "20 signed" "$T/out2.txt" || fail "second batch result"
echo "batch-progress ok"
