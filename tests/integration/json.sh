#!/usr/bin/env bash
# json.sh: under --json every command of the table prints exactly one JSON
# document on standard output and nothing else, on success and on failure
# (then with "error" {code, message}), "exit" the exit status, with --json
# before the command words or after them; --quiet silences narration but
# not results, warnings or errors.
. "$(dirname "$0")/../lib.sh"

export TEST_SO_PIN=5678-so-pin WRONG=0000
GEN="$TOP/$AIRCA_BUILD/tests/gen-csrs"
declare -A okd badd
n=0
# each case once, --json before and after the command words in turn (the
# two placements are parsed by the same cmd_run: both are covered without
# running every command twice); MODES=... on a case forces one
MODES=alt
alt=0

# check DOC RC: DOC is one JSON object (json.load refuses extra data), its
# "exit" is RC, and it has an "error" exactly when RC is not 0
check() {
	python3 - "$1" "$2" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
rc = int(sys.argv[2])
assert isinstance(doc, dict), doc
assert doc.get("exit") == rc, ("exit", doc.get("exit"), rc)
if rc:
    assert doc["error"]["code"] and doc["error"]["message"], doc
else:
    assert "error" not in doc, doc
PY
}

# jrun RC NAME ARGS...: airca ARGS (NAME is the command it runs) with
# --json first or last (MODES); @N@ in ARGS is a fresh number
jrun() {
	local rc=$1 name=$2 where got a
	local -a args
	shift 2
	local modes=$MODES
	if [ "$modes" = alt ]; then
		alt=$((alt + 1))
		if [ $((alt % 2)) -eq 0 ]; then modes=before; else modes=after; fi
	fi
	for where in $modes; do
		n=$((n + 1))
		args=()
		for a in "$@"; do args+=("${a//@N@/$n}"); done
		got=0
		if [ "$where" = before ]; then
			"$AIRCA_BIN" --pin-env TEST_PIN --json "${args[@]}" >"$T/j.out" 2>"$T/j.err" || got=$?
		else
			"$AIRCA_BIN" --pin-env TEST_PIN "${args[@]}" --json >"$T/j.out" 2>"$T/j.err" || got=$?
		fi
		[ "$got" -eq "$rc" ] || { cat "$T/j.err" "$T/j.out" >&2; fail "--json $where: airca ${args[*]} exited $got, want $rc"; }
		check "$T/j.out" "$rc" ||
			fail "--json $where: airca ${args[*]}: not one JSON document with exit $rc: $(head -c 800 "$T/j.out")"
	done
	if [ "$rc" -eq 0 ]; then okd[$name]=1; else badd[$name]=1; fi
}
ok() { jrun 0 "$@"; }
bad() { jrun "$@"; }

# ---- before a home exists
make_token
ok  "version" version
bad 2 "version" version x
ok  "help" help list
bad 2 "help" help nope
ok  "token list" token list
bad 4 "token list" token list --module /nonexistent.so
ok  "check-airgap" check-airgap
bad 1 "check-airgap" --hsm "$T/none.conf" check-airgap
bad 2 "tui" tui				# no terminal here: tests/tui drive it in tmux
bad 1 "ceremony check" ceremony check "$T/nothing.ceremony"
ok  "ceremony check" ceremony check "$TOP/ceremony-scripts/device-ca.ceremony"
ok  "ceremony print" ceremony print "$TOP/ceremony-scripts/device-ca.ceremony"
bad 1 "ceremony print" ceremony print "$T/nothing.ceremony"
bad 1 "list" list			# no home yet
MODES=before ok "init" init --factory acme
bad 1 "init" init --factory acme	# it exists
ok  "token keys" token keys
bad 4 "token keys" --pin-env WRONG token keys

cat >>"$AIRCA_HOME/policy.conf" <<'POL'

[profile mc-int]
kind = intermediate-ca
days = 3650
CN = supplied
O = fixed=Acme

[profile host]
kind = server-client
days = 365
keygen = allowed
CN = supplied, pattern=^host-[0-9a-f]{16}$
O = fixed=Acme
POL

# ---- issuing
ok  "device-ca create" device-ca create --user-id u@N@
bad 2 "device-ca create" device-ca create --user-id 'bad id!'
airca device-ca create --user-id base --label dca0 >/dev/null
ok  "ca create" ca create --profile mc-int --label mcint@N@ --cn "Acme CA @N@"
bad 2 "ca create" ca create --profile host --label x1
make_csr tls1 "/CN=one.acme.example/OU=acme" "DNS:one.acme.example"
make_csr tls2 "/CN=two.acme.example/OU=acme" "DNS:two.acme.example"
MODES=before ok "sign" sign --profile tls --in "$T/tls1.csr" --out "$T/tls@N@.pem"
MODES=after ok "sign" sign --profile tls --in "$T/tls2.csr" --out "$T/tls@N@.pem"
bad 1 "sign" sign --profile tls --in "$T/tls1.csr" --out "$T/tls0.pem"
ok  "keygen" keygen --profile host --count 1 --out "$T/ks@N@" --passwords "$T/pw@N@.csv"
bad 1 "keygen" keygen --profile tls --count 1 --out "$T/ks0" --passwords "$T/pw0.csv"
mkdir "$T/in" && "$GEN" "$T/in" 2 acme d-
ok  "batch sign" batch sign --ca dca0 --in "$T/in" --out "$T/bout@N@"
bad 2 "batch sign" batch sign --in "$T/in" --out "$T/bout0"
make_csr tls "/CN=ota.acme.example/OU=acme" "DNS:ota.acme.example"
make_csr ca "/CN=online-ca/OU=acme"
api_response "$T/resp.json" tls="$T/tls.csr" ca="$T/ca.csr"
ok  "api sign" api sign --in "$T/resp.json" --out "$T/api@N@"
bad 1 "api sign" api sign --in "$T/nothing.json" --out "$T/api0"
ok  "api device-cas" api device-cas --out "$T/dcas@N@"
bad 1 "api device-cas" api device-cas --out "$T/resp.json"

# serials from the registry, as data
"$AIRCA_BIN" --json list >"$T/list.json"
serial() {	# PROFILE INDEX
	python3 -c 'import json, sys
c = [x for x in json.load(open(sys.argv[1]))["certificates"] if x["profile"] == sys.argv[2] and x["status"] == "valid"]
print(c[int(sys.argv[3])]["serial"])' "$T/list.json" "$1" "$2"
}
dca=$(serial device-ca 0)
tls=$(serial tls 0)
ok  "list" list
bad 2 "list" list --profile nope
ok  "export" export --serial "$tls" --chain
bad 1 "export" export --serial ffff
ok  "crl" crl --ca dca0 --out "$T/crl@N@.pem"
bad 2 "crl" crl --ca dca0
ok  "device-ca disable" device-ca disable --serial "$dca" --out "$T/dis@N@"
bad 1 "device-ca disable" device-ca disable --serial ffff --out "$T/dis0"
ok  "device-ca enable" device-ca enable --serial "$dca" --out "$T/en@N@"
bad 1 "device-ca enable" device-ca enable --serial ffff --out "$T/en0"
ok  "device-ca revoke" device-ca revoke --serial "$dca" --out "$T/rev@N@"
bad 1 "device-ca revoke" device-ca revoke --serial ffff --out "$T/rev0"
ok  "renew" renew --expiring 36500 --profile tls --out "$T/renew@N@"
bad 2 "renew" renew --expiring 36500
make_csr r1 "/CN=r1.acme.example/OU=acme" "DNS:r1.acme.example"
make_csr r2 "/CN=r2.acme.example/OU=acme" "DNS:r2.acme.example"
airca sign --profile tls --in "$T/r1.csr" --out "$T/r1.pem" >/dev/null
airca sign --profile tls --in "$T/r2.csr" --out "$T/r2.pem" >/dev/null
r1=$(openssl x509 -in "$T/r1.pem" -noout -serial | cut -d= -f2 | tr A-F a-f)
r2=$(openssl x509 -in "$T/r2.pem" -noout -serial | cut -d= -f2 | tr A-F a-f)
MODES=before ok "revoke" revoke --serial "$r1"
MODES=after ok "revoke" revoke --serial "$r2"
bad 1 "revoke" revoke --serial ffff

# ---- the journal
ok  "journal show" journal show --since 3
bad 1 "journal show" journal show --journal "$T/nothing.jsonl"
ok  "journal verify" journal verify
bad 2 "journal verify" journal verify --seal xyz
ok  "journal seal" journal seal
bad 1 "journal seal" --home "$T/nohome" journal seal
ok  "journal repair" journal repair
bad 2 "journal repair" journal repair --adopt --discard --yes
ok  "registry rebuild" registry rebuild
bad 1 "registry rebuild" --home "$T/nohome" registry rebuild

# ---- ceremonies
mkdir "$T/usb"
printf '%s\n' "participant officer Alice" "participant officer Bob" "participant witness Carol" \
	"confirm 1 Carol" "confirm 2 Alice" "confirm 3 Carol" "confirm 4 Alice" "confirm 5 Bob" \
	"confirm 6 Bob" "confirm 7 Carol" "confirm 8 Carol" >"$T/confirm"
ok  "ceremony run" ceremony run "$TOP/ceremony-scripts/device-ca.ceremony" --param user-id=c@N@ \
	--param usb="$T/usb" --param out="$T/usb/out@N@" --confirm-file "$T/confirm"
ok  "ceremony report" ceremony report
bad 1 "ceremony report" ceremony report --ceremony nope
bad 1 "ceremony run" ceremony run "$TOP/ceremony-scripts/device-ca.ceremony" --param user-id=c0 \
	--param usb="$T/nousb" --param out="$T/usb/out0" --confirm-file "$T/confirm"
ok  "demo" demo
bad 2 "demo" demo x

# ---- a K-of-N home on a second token: backup, custody check, restore
make_token airca2
make_token airca3
make_token airca4
for l in airca2 airca3 airca4; do
	sed "s/^label = airca$/label = $l/" "$TOP/hsm-profiles/softhsm2.conf" >"$T/$l.conf"
done
export AIRCA_HOME="$T/homeB" AIRCA_HSM="$T/airca2.conf"
MODES=after ok "init" --so-pin-env TEST_SO_PIN init --factory acme --backup 2-of-3 \
	--custodian a --custodian b --custodian c --shares-to "$T/shares"
ok  "backup" backup --out "$T/bundle@N@"
bad 1 "backup" backup --out "$T/resp.json"
airca backup --out "$T/bundleR" >/dev/null
ok  "custody check" custody check --share-file "$T/shares/share-2.txt"
bad 1 "custody check" custody check --share-file "$T/confirm"
MODES=before ok "restore" --so-pin-env TEST_SO_PIN --hsm "$T/airca3.conf" restore --from "$T/bundleR" \
	--share-file "$T/shares/share-1.txt" --share-file "$T/shares/share-3.txt"
MODES=after ok "restore" --so-pin-env TEST_SO_PIN --hsm "$T/airca4.conf" restore --from "$T/bundleR" \
	--share-file "$T/shares/share-1.txt" --share-file "$T/shares/share-3.txt"
bad 1 "restore" --so-pin-env TEST_SO_PIN restore --from "$T/bundleR" --share-file "$T/shares/share-1.txt"

# every command of the table has a success and a failure here (tui: failure only)
missing=""
while read -r name; do
	[ -n "${badd[$name]:-}" ] || missing="$missing '$name' (failure)"
	[ "$name" = tui ] || [ -n "${okd[$name]:-}" ] || missing="$missing '$name' (success)"
done < <("$AIRCA_BIN" help | awk '/^commands:/ { on = 1; next } on && /^$/ { exit } on { sub(/^  /, ""); sub(/  .*/, ""); print }')
[ -z "$missing" ] || fail "no --json case for:$missing"

# the document carries the data: a warning is in "warnings" (and on stderr)
export AIRCA_HOME="$T/home" AIRCA_HSM=softhsm2
"$AIRCA_BIN" --json version | python3 -c 'import json, sys; d = json.load(sys.stdin); assert d == {"version": d["version"], "exit": 0}, d' ||
	fail "version --json"
echo "# changed" >>"$AIRCA_HOME/policy.conf"
airca --json journal seal >"$T/w.json" 2>"$T/w.err"
python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert d["seal"] and any("policy.conf changed since it was last recorded" in w for w in d["warnings"]), d' "$T/w.json" ||
	fail "the warning is not in the document: $(cat "$T/w.json")"
grep -q "airca: warning: .*policy.conf changed since" "$T/w.err" || fail "the warning is not on stderr"
# a failure: the error in the document, and on stderr as in text mode
rc=0
"$AIRCA_BIN" --json export --serial ffff >"$T/e.json" 2>"$T/e.err" || rc=$?
[ $rc -eq 1 ] || fail "export of an unknown serial exited $rc"
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["exit"] == 1 and "ffff" in d["error"]["message"], d' "$T/e.json" ||
	fail "the error document: $(cat "$T/e.json")"
grep -q "^airca export: .*ffff" "$T/e.err" || fail "the error is not on stderr: $(cat "$T/e.err")"

# --quiet: narration goes, results stay
airca journal show >"$T/q1.out" 2>"$T/q1.err"
grep -q "shown as written" "$T/q1.err" || fail "journal show narrates without --quiet"
airca --quiet journal show >"$T/q2.out" 2>"$T/q2.err"
grep -q "shown as written" "$T/q2.err" && fail "--quiet journal show narrated"
cmp -s "$T/q1.out" "$T/q2.out" || fail "--quiet changed journal show's results"
airca --quiet list --expiring 0 >"$T/q3.out" 2>"$T/q3.err"
grep -q "nothing expires" "$T/q3.err" && fail "--quiet list narrated"
airca list --expiring 0 2>&1 >/dev/null | grep -q "nothing expires within 0 days" ||
	fail "list --expiring 0 says nothing expires"
# no such command: one document too, --json before or after the words
for args in "--json nosuchcmd" "nosuchcmd --json" "device-ca frob --json"; do
	rc=0
	# shellcheck disable=SC2086
	"$AIRCA_BIN" $args >"$T/u.json" 2>"$T/u.err" || rc=$?
	[ $rc -eq 2 ] || fail "airca $args exited $rc, want 2"
	check "$T/u.json" 2 || fail "airca $args: not one JSON document: $(head -c 400 "$T/u.json")"
	grep -q "command '[a-z -]*frob'\|command 'nosuchcmd'" "$T/u.json" || fail "airca $args: the document does not name the command"
	grep -q "usage error: .*command" "$T/u.err" || fail "airca $args: nothing on stderr"
done
echo "json ok"
