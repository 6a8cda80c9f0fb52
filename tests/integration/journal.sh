#!/usr/bin/env bash
# airca journal: a clean multi-command journal verifies without a PIN and
# prints its head; tampering exits 5 naming the seq; seals catch truncation;
# no PIN in the journal; repair; registry rebuild equals the original.
. "$(dirname "$0")/../lib.sh"

init_ca acme
H=$AIRCA_HOME
J=$H/journal.jsonl
make_csr tls "/CN=ota-lite.acme.example/OU=acme" "DNS:ota-lite.acme.example"
make_csr ca "/CN=online-ca/OU=acme"
make_csr est "/CN=est.acme.example/OU=acme" "DNS:est.acme.example"
api_response "$T/resp.json" tls="$T/tls.csr" ca="$T/ca.csr" est="$T/est.csr"
airca device-ca create --user-id owner1 >/dev/null
airca api sign --in "$T/resp.json" --out "$T/out" >/dev/null

# verify: no token, no PIN
pin=$TEST_PIN
unset TEST_PIN
airca_nopin journal verify >"$T/v" || { cat "$T/v"; fail "clean journal does not verify"; }
grep -q '^journal OK' "$T/v" || fail "no OK line"
head=$(sed -n 's/^  head *\([0-9a-f]*\)$/\1/p' "$T/v")
[ "$head" = "$(tail -n 1 "$J" | tr -d '\n' | sha256sum | cut -d' ' -f1)" ] ||
	fail "head is not the hash of the last line"
export TEST_PIN=$pin
grep -q "$TEST_PIN" "$J" && fail "the PIN is in the journal"
grep -qi '"pin"' "$J" && fail "a pin field is in the journal"

# every command ended on a signed checkpoint
[ "$(tail -n 1 "$J" | grep -c '"event":"checkpoint"')" -eq 1 ] || fail "last entry is not a checkpoint"

# show
airca_nopin journal show >"$T/show"
[ "$(wc -l <"$T/show")" -eq "$(wc -l <"$J")" ] || fail "show: one line an entry"
grep -q 'cert-issued .*serial=' "$T/show" || fail "show: cert-issued summary"
airca_nopin journal show --json --since 3 >"$T/showj"
# one JSON document: the entries from line 3, each the journal's line parsed
python3 - "$T/showj" "$J" <<'PY' || fail "show --json --since 3: the entries"
import json, sys
d = json.load(open(sys.argv[1]))
lines = [json.loads(l) for l in open(sys.argv[2]).read().splitlines()[2:]]
assert d["entries"] == lines and d["exit"] == 0, d
assert [e["seq"] for e in d["entries"]][:1] == [3], d["entries"][:1]
PY

# tampering: copies verified with --journal; exit 5 and the seq
tamper() {	# NAME SED-SCRIPT
	mkdir -p "$T/$1"
	cp "$H/root.pem" "$H/audit.pem" "$T/$1/"
	sed "$2" "$J" >"$T/$1/journal.jsonl"
}
tamper changed '4s/"seq":4,"time":"2/"seq":4,"time":"1/'
expect_fail 5 'seq 4 \(line 4\): entry 4 was changed' airca_nopin journal verify --journal "$T/changed/journal.jsonl"
tamper deleted '4d'
expect_fail 5 'seq 4 \(line 4\): found seq 5 where 4 was expected' airca_nopin journal verify --journal "$T/deleted/journal.jsonl"
tamper inserted '4p'
expect_fail 5 'seq 4 appears twice' airca_nopin journal verify --journal "$T/inserted/journal.jsonl"
tamper swapped '4{h;d};5G'
expect_fail 5 'found seq 5 where 4 was expected' airca_nopin journal verify --journal "$T/swapped/journal.jsonl"
tamper truncated ''
truncate -s -5 "$T/truncated/journal.jsonl"
expect_fail 5 'last line is incomplete' airca_nopin journal verify --journal "$T/truncated/journal.jsonl"
n=$(wc -l <"$J")
tamper unsigned "${n}d"
expect_fail 5 "entr(y|ies) after the last signature at seq [0-9]+ (is|are) unsigned" \
	airca_nopin journal verify --journal "$T/unsigned/journal.jsonl"
expect_fail 5 'does not chain to the root' airca_nopin journal verify --root "$T/out/online-ca.pem"

# seals: good, bad, truncated after the seal
airca journal seal >"$T/seal.out"
seal=$(grep -o 'verify --seal [0-9a-f]*' "$T/seal.out" | cut -d' ' -f3)
[ ${#seal} -eq 64 ] || fail "no seal hash printed"
grep -q '▀\|▄\|█' "$T/seal.out" || fail "no QR code"
grep -q "$(echo "$seal" | cut -c1-4) $(echo "$seal" | cut -c5-8)" "$T/seal.out" || fail "seal not in groups"
airca_nopin journal verify --seal "$seal" >/dev/null || fail "--seal good"
airca_nopin journal verify --seal "$(echo "$seal" | tr a-f A-F | sed 's/..../& /g')" >/dev/null ||
	fail "--seal in upper-case groups"
expect_fail 5 'seal not found' airca_nopin journal verify --seal 00000000000000000000000000000000000000000000000000000000000000ff
airca device-ca create --user-id owner2 >/dev/null
airca_nopin journal verify --seal "$seal" >/dev/null || fail "--seal after more commands"
cp "$J" "$T/full.jsonl"
sl=$(grep -n '"event":"seal"' "$J" | tail -n 1 | cut -d: -f1)
cp_before=$(grep -n '"event":"checkpoint"' "$J" | cut -d: -f1 | awk -v s="$sl" '$1 < s' | tail -n 1)
tamper cut "$((cp_before + 1)),\$d"	# back to the checkpoint before the seal: signed, but cut
airca_nopin journal verify --journal "$T/cut/journal.jsonl" >/dev/null || fail "cut journal should verify alone"
expect_fail 5 'seal not found' airca_nopin journal verify --journal "$T/cut/journal.jsonl" --seal "$seal"

# repair: an interrupted append
printf '{"seq":%d,"time":"20' "$(($(wc -l <"$J") + 1))" >>"$J"
expect_fail 1 'incomplete line' airca device-ca create --user-id owner3
expect_fail 5 'last line is incomplete' airca_nopin journal verify
expect_fail 1 'nothing removed' airca_nopin journal repair
airca journal repair --yes >"$T/repair" || fail "repair"
grep -q 'removed' "$T/repair" || fail "repair output"
airca_nopin journal verify >/dev/null || fail "verify after repair"
grep -q '"event":"journal-repaired".*"removed-bytes":' "$J" || fail "repair not journaled"

# registry rebuild: byte for byte; the cache's header names the journal's last entry
airca_nopin registry rebuild >"$T/rb" || fail "rebuild"
grep -q 'identical' "$T/rb" || fail "rebuild: not identical"
last=$(tail -n 1 "$J" | tr -d '\n' | sha256sum | cut -c1-64)
head -n 1 "$H/registry.jsonl" | grep -q "\"journal-seq\":$(wc -l <"$J"),\"journal-head\":\"$last\"" ||
	fail "registry header does not name the journal's head"
cp "$H/registry.jsonl" "$T/registry.orig"
airca_nopin registry rebuild >"$T/rb" || fail "rebuild"
cmp "$T/registry.orig" "$H/registry.jsonl" || fail "rebuilt registry differs"
rm "$H/registry.jsonl"
airca_nopin registry rebuild >/dev/null
cmp "$T/registry.orig" "$H/registry.jsonl" || fail "registry rebuilt from nothing differs"
echo 'garbage' >"$H/registry.jsonl"
airca_nopin registry rebuild >/dev/null
cmp "$T/registry.orig" "$H/registry.jsonl" || fail "registry rebuilt over garbage differs"
echo "ok"
