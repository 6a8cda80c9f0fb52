#!/usr/bin/env bash
# cli.sh: options are checked against the command table before the home is
# opened or the PIN asked: unknown options with a suggestion, missing inputs,
# outputs that exist, numbers out of range, a missing home; exit codes as in airca(1).
. "$(dirname "$0")/../lib.sh"

# No home yet: named as such, with what to do (not ".lock: No such file")
touch "$T/in.csr"
expect_fail 1 "no airca home at $AIRCA_HOME: run 'airca init' or set AIRCA_HOME" \
	airca sign --profile device --ca dca1 --in "$T/in.csr" --out "$T/o.pem"
for argv in "registry rebuild" "journal repair" "journal seal" "list" "renew --expiring 30 --out $T/r"; do
	# shellcheck disable=SC2086
	expect_fail 1 "no airca home at $AIRCA_HOME: run 'airca init'" airca $argv
done

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
# the usage in a usage error is the one to type: no stray space when a command has no options
expect_fail 2 "'version' takes no argument 'x' \\(usage: airca version\\)$" nopin version x
expect_fail 2 "'crl' needs --ca LABEL \\(usage: airca crl --ca LABEL --out FILE\\)$" nopin crl
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
expect_fail 2 "serial 0a is named twice" nopin device-ca disable --serial 0a 0A --out "$T/crl-out"
expect_fail 2 "not hex" nopin device-ca revoke --serial zz01 --out "$T/crl-out"
expect_fail 1 "--out $T/taken.pem exists and is not a directory" \
	nopin device-ca enable --serial 0a --out "$T/taken.pem"
expect_fail 2 "serial 0b is named twice" nopin revoke --serial 0b 0b
expect_fail 2 "reason" nopin revoke --serial 0b --reason nonsense
expect_fail 2 "--expiring soon: out of range; give a whole number from 0 to 36500" nopin list --expiring soon
expect_fail 2 "--since x: out of range; give a whole number from 0" nopin journal show --since x
expect_fail 1 "--journal $T/no.jsonl: No such file" nopin journal show --journal "$T/no.jsonl"
expect_fail 2 "'journal seal' takes no argument 'now'" nopin journal seal now
expect_fail 2 "--der writes one certificate; a chain is PEM" nopin export --serial 0a --chain --der
expect_fail 1 "$T/taken.pem exists; airca never overwrites" nopin export --serial 0a --out "$T/taken.pem"
# journal verify, journal repair, renew, init: on the declared options, refused before the PIN
expect_fail 2 "--seal: 2 hex digits, a seal hash has 64" nopin journal verify --seal 12
expect_fail 2 "--seal: 'g' is not a hex digit" nopin journal verify --seal "$(printf 'g%.0s' $(seq 64))"
expect_fail 1 "--root $T/no-root.pem: No such file" nopin journal verify --root "$T/no-root.pem"
expect_fail 1 "--audit-cert $T/csrs is not a regular file" nopin journal verify --audit-cert "$T/csrs"
expect_fail 2 "unknown option --sael for 'journal verify'; did you mean --seal\?" nopin journal verify --sael 00
expect_fail 2 "--adopt and --discard exclude each other" nopin journal repair --adopt --discard --yes
expect_fail 2 "'journal repair' takes no argument 'now'" nopin journal repair --yes now
expect_fail 2 "--expiring 99999: out of range; give a whole number from 0 to 36500" \
	nopin renew --expiring 99999 --out "$T/renew-out"
expect_fail 2 "'renew' needs --out DIR" nopin renew --expiring 30
expect_fail 1 "--out $T/taken.pem exists and is not a directory" nopin renew --expiring 30 --out "$T/taken.pem"
expect_fail 2 "the root is not renewed" nopin renew --expiring 30 --out "$T/renew-out" --profile root
expect_fail 2 "the audit certificate is not renewed here" nopin renew --expiring 30 --out "$T/renew-out" --profile audit
expect_fail 2 "--profile Bogus_1: use tls, est-tls, online-ca, device-ca or device" \
	nopin renew --expiring 30 --out "$T/renew-out" --profile Bogus_1
[ -e "$T/renew-out" ] && fail "a refused renew made its --out"
expect_fail 2 "--key dsa-1024: give one of ec-p256\|ec-p384\|rsa-3072\|rsa-4096" \
	nopin --home "$T/h-new" init --factory acme --key dsa-1024
expect_fail 2 "--days 0: out of range; give a whole number from 1 to 36500" \
	nopin --home "$T/h-new" init --factory acme --days 0
expect_fail 2 "--factory 'a/b': not usable as a factory name" nopin --home "$T/h-new" init --factory a/b
expect_fail 2 "'init' needs --factory NAME" nopin --home "$T/h-new" init
[ -e "$T/h-new" ] && fail "a refused init made its home"
# ceremony report, check, print, run, demo, tui: declared options and scripts, checked first
expect_fail 1 "--journal $T/no.jsonl: No such file" nopin ceremony report --journal "$T/no.jsonl"
expect_fail 2 "--ceremony 'a/b': 1..64 printable characters" nopin ceremony report --ceremony a/b
expect_fail 2 "'ceremony check' needs SCRIPT" nopin ceremony check
expect_fail 1 "SCRIPT $T/no.ceremony: No such file" nopin ceremony check "$T/no.ceremony"
expect_fail 1 "SCRIPT $T/no.ceremony: No such file" nopin ceremony print "$T/no.ceremony"
S="$TOP/ceremony-scripts/device-ca.ceremony"
expect_fail 2 "--param 'user-id': give NAME=VALUE" nopin ceremony print "$S" --param user-id
expect_fail 2 "too many arguments for 'ceremony run'" nopin ceremony run "$S" "$S"
expect_fail 2 "--confirm-file and --confirm-env exclude each other" \
	nopin ceremony run "$S" --confirm-file "$T/taken.pem" --confirm-env HOME
expect_fail 2 "--confirm-env AIRCA_NO_SUCH_VAR: the variable is not set" \
	nopin ceremony run "$S" --confirm-env AIRCA_NO_SUCH_VAR
expect_fail 1 "--confirm-file $T/no-confirm: No such file" nopin ceremony run "$S" --confirm-file "$T/no-confirm"
expect_fail 2 "'demo' takes no argument 'now'" nopin demo now
expect_fail 2 "'tui' takes no argument 'now'" nopin tui now
[ "$(wc -l < "$H/journal.jsonl")" -eq "$lines" ] || fail "a refused command line reached the journal"

# Unknown, missing and repeated options: exit 2, named precisely
expect_fail 2 "unknown option --profle for 'sign'; did you mean --profile\?" \
	airca sign --profle device --in "$T/dev.csr" --out "$T/o.pem"
expect_fail 2 "unknown option --frobnicate for 'batch sign' \(it takes --ca, --in, --out, --profile, --manifest, --progress, --sessions\)" \
	airca batch sign --frobnicate
expect_fail 2 "'api sign' needs --out DIR \(usage: airca api sign --in RESPONSE.json --out DIR \[--first-time\]" \
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

# crl without --out names the missing option; --days out of range gives the range
expect_fail 2 "'crl' needs --out FILE" airca crl --ca dca1
expect_fail 2 "--days 99999: out of range; give a whole number from 1 to 36500" \
	airca device-ca create --user-id u2 --days 99999
expect_fail 2 "unknown option --usr-id for 'device-ca create'; did you mean --user-id\?" \
	airca device-ca create --usr-id u2

# help: exit 0, usage from the table, on stdout
for argv in "-h" "--help" "help"; do
	"$AIRCA_BIN" $argv > "$T/help" || fail "airca $argv exited $?"
	grep -q '^  device-ca create ' "$T/help" || fail "airca $argv lists no commands"
done
"$AIRCA_BIN" sign --help > "$T/h1" || fail "sign --help exited $?"
"$AIRCA_BIN" help sign > "$T/h2" || fail "help sign exited $?"
cmp -s "$T/h1" "$T/h2" || fail "sign --help and help sign differ"
grep -qxF 'usage: airca [global options] sign --profile P --in CSR --out CERT [--ca LABEL] [--days N]' "$T/h1" ||
	fail "sign --help: $(cat "$T/h1")"
"$AIRCA_BIN" ceremony report --help | grep -q '^usage: airca \[global options\] ceremony report' ||
	fail "ceremony report --help"
"$AIRCA_BIN" device-ca --help > "$T/h3" || fail "device-ca --help exited $?"
for c in create revoke disable enable; do
	grep -q "^  airca device-ca $c " "$T/h3" || fail "device-ca --help lacks $c"
done
"$AIRCA_BIN" help device-ca | cmp -s - "$T/h3" || fail "help device-ca differs from device-ca --help"
expect_fail 2 "no command 'device-ca crate'; the device-ca commands are" airca device-ca crate
expect_fail 2 "no command 'nope'" "$AIRCA_BIN" help nope

# --json before or after the command words, for converted and other commands
make_csr tls "/CN=ota.acme.example/OU=acme" "DNS:ota.acme.example"
api_response "$T/resp2.json" tls="$T/tls.csr"
airca api sign --json --in "$T/resp2.json" --out "$T/api2" > "$T/api.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert "upload.json" in d["files"] and "tls.pem" in d["files"], d' "$T/api.json" ||
	fail "api sign --json: $(cat "$T/api.json")"
airca --json device-ca create --user-id u3 > "$T/dca.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["cn"] == "fio-u3", d' "$T/dca.json" ||
	fail "--json device-ca create: $(cat "$T/dca.json")"
rc1=0 rc2=0
"$AIRCA_BIN" --json journal verify > "$T/j1" 2>&1 || rc1=$?
"$AIRCA_BIN" journal verify --json > "$T/j2" 2>&1 || rc2=$?
[ "$rc1" -eq "$rc2" ] && [ "$rc2" -ne 2 ] && cmp -s "$T/j1" "$T/j2" || fail "journal verify --json differs from --json journal verify"
rc1=0 rc2=0
"$AIRCA_BIN" --json ceremony report > "$T/c1" 2>&1 || rc1=$?
"$AIRCA_BIN" ceremony report --json > "$T/c2" 2>&1 || rc2=$?
[ "$rc1" -eq "$rc2" ] && [ "$rc2" -ne 2 ] && cmp -s "$T/c1" "$T/c2" || fail "ceremony report --json ($rc2) differs from --json ceremony report ($rc1)"

"$AIRCA_BIN" version --json | python3 -c 'import json,sys; assert json.load(sys.stdin)["version"]' ||
	fail "version --json"
expect_fail 2 "'version' takes no argument 'x'" "$AIRCA_BIN" version x

expect_fail 2 "unknown option --modul for 'token list'; did you mean --module\?" "$AIRCA_BIN" token list --modul x
expect_fail 2 "'token keys' takes no argument 'all'" "$AIRCA_BIN" token keys all
"$AIRCA_BIN" check-airgap --json 2>/dev/null | python3 -c 'import json,sys; assert "air_gapped" in json.load(sys.stdin)' ||
	fail "check-airgap --json"

# ceremony check refuses a step whose options the command does not take, naming the line
sed 's/--user-id {user-id}/--usr-id {user-id}/' "$TOP/ceremony-scripts/device-ca.ceremony" > "$T/typo.ceremony"
line=$(grep -n -- '--usr-id' "$T/typo.ceremony" | cut -d: -f1)
expect_fail 1 "typo.ceremony:$line: unknown option --usr-id for 'device-ca create'; did you mean --user-id\?" \
	airca ceremony check "$T/typo.ceremony"
sed 's/run device-ca create --user-id {user-id}/run device-ca create --days 0 --user-id {user-id}/' \
	"$TOP/ceremony-scripts/device-ca.ceremony" > "$T/days.ceremony"
expect_fail 1 "days.ceremony:$line: --days 0: out of range" airca ceremony check "$T/days.ceremony"
sed 's/run api device-cas --out {out}/run api device-cas/' \
	"$TOP/ceremony-scripts/device-ca.ceremony" > "$T/noout.ceremony"
expect_fail 1 "noout.ceremony:[0-9]+: 'api device-cas' needs --out DIR" airca ceremony check "$T/noout.ceremony"
echo "cli ok"
