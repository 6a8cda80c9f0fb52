#!/usr/bin/env bash
# cli.sh: options are checked against the command table before the home is
# opened or the PIN asked: unknown options with a suggestion, missing inputs,
# outputs that exist, numbers out of range, a missing home; exit codes as in airca(1).
. "$(dirname "$0")/../lib.sh"

# No home yet: named as such, with what to do (not ".lock: No such file")
touch "$T/in.csr"
expect_fail 1 "no airca home at $AIRCA_HOME: run 'airca init' or set AIRCA_HOME" \
	airca sign --profile device --ca dca1 --in "$T/in.csr" --out "$T/o.pem"

init_ca acme
H=$AIRCA_HOME
airca device-ca create --user-id u1 --label dca1 >/dev/null
make_csr dev "/CN=0b6e2c1a-3f4d-4e5f-8a9b-0c1d2e3f4a5b/OU=acme"
mkdir -p "$T/csrs" "$T/batch-out"
cp "$T/dev.csr" "$T/csrs/"
api_response "$T/resp.json" tls="$T/dev.csr"
: > "$T/taken.pem"

# A PIN source that cannot work: any command that got as far as the PIN
# would fail on it instead of on the option it was given.
nopin() { "$AIRCA_BIN" --pin-file "$T/no-such-pin" "$@"; }
lines=$(wc -l < "$H/journal.jsonl")

# sign, api sign, batch sign: inputs and outputs checked before the PIN
expect_fail 1 "^airca sign: not found: --in $T/missing.csr: No such file" \
	nopin sign --profile device --ca dca1 --in "$T/missing.csr" --out "$T/o.pem"
expect_fail 1 "$T/taken.pem exists; airca never overwrites an output" \
	nopin sign --profile device --ca dca1 --in "$T/dev.csr" --out "$T/taken.pem"
expect_fail 1 "--out $T/no-dir/o.pem: directory $T/no-dir does not exist" \
	nopin sign --profile device --ca dca1 --in "$T/dev.csr" --out "$T/no-dir/o.pem"
expect_fail 1 "--in $T/csrs is not a regular file" \
	nopin sign --profile device --ca dca1 --in "$T/csrs" --out "$T/o.pem"
ln -s "$T/dev.csr" "$T/link.csr"
expect_fail 1 "--in $T/link.csr is a symbolic link" \
	nopin sign --profile device --ca dca1 --in "$T/link.csr" --out "$T/o.pem"
expect_fail 2 "--days 99999: out of range; give a whole number from 1 to 36500" \
	nopin sign --profile device --ca dca1 --in "$T/dev.csr" --out "$T/o.pem" --days 99999
expect_fail 2 "--profile root: use tls, est-tls, online-ca, device-ca or device" \
	nopin sign --profile root --in "$T/dev.csr" --out "$T/o.pem"
expect_fail 1 "^airca api sign: not found: --in $T/missing.json" \
	nopin api sign --in "$T/missing.json" --out "$T/api"
mkdir -p "$T/api-used" && : > "$T/api-used/upload.json"
expect_fail 1 "$T/api-used/upload.json exists; airca never overwrites" \
	nopin api sign --in "$T/resp.json" --out "$T/api-used"
expect_fail 1 "--out $T/taken.pem exists and is not a directory" \
	nopin api sign --in "$T/resp.json" --out "$T/taken.pem"
expect_fail 1 "--in $T/missing-dir: No such file" \
	nopin batch sign --ca dca1 --in "$T/missing-dir" --out "$T/batch-out"
expect_fail 2 "--in $T/dev.csr is not a directory" \
	nopin batch sign --ca dca1 --in "$T/dev.csr" --out "$T/batch-out"
expect_fail 2 "--ca '../x': 1..32 printable characters" \
	nopin batch sign --ca ../x --in "$T/csrs" --out "$T/batch-out"
[ "$(wc -l < "$H/journal.jsonl")" -eq "$lines" ] || fail "a refused command line reached the journal"

# Unknown, missing and repeated options: exit 2, named precisely
expect_fail 2 "unknown option --profle for 'sign'; did you mean --profile\?" \
	airca sign --profle device --in "$T/dev.csr" --out "$T/o.pem"
expect_fail 2 "unknown option --frobnicate for 'batch sign' \(it takes --ca, --in, --out\)" \
	airca batch sign --frobnicate
expect_fail 2 "'api sign' needs --out DIR \(usage: airca api sign --in RESPONSE.json --out DIR\)" \
	airca api sign --in "$T/resp.json"
expect_fail 2 "--in given twice for 'sign'" \
	airca sign --profile device --in "$T/dev.csr" --in "$T/dev.csr" --out "$T/o.pem"
expect_fail 2 "--out needs a CERT after it" airca sign --profile device --in "$T/dev.csr" --out
expect_fail 2 "'sign' takes no argument 'extra'" \
	airca sign --profile device --in "$T/dev.csr" --out "$T/o.pem" extra

# and the same command lines, corrected, work (--opt=value too)
airca sign --profile=device --ca dca1 --in "$T/dev.csr" --out "$T/o.pem" >/dev/null
[ -s "$T/o.pem" ] || fail "sign wrote nothing"
airca batch sign --ca dca1 --in "$T/csrs" --out "$T/batch-out" >/dev/null ||
	[ $? -eq 3 ] || fail "batch sign failed"
echo "cli ok"
