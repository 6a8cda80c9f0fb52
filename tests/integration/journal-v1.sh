#!/usr/bin/env bash
# A format-1 journal (before the audit pin) is read, but never reported as
# pinned: 'journal verify' refuses it unless --allow-unpinned, and then says
# NOT PINNED; the openssl recipe, which knows format 2 only, refuses it.
. "$(dirname "$0")/../lib.sh"

F=$TOP/tests/fixtures/journal-v1
cp "$F/journal.jsonl" "$F/root.pem" "$F/audit.pem" "$T/"
head -1 "$T/journal.jsonl" | grep -q '"version":1,' || fail "fixture is not format 1"
expect_fail 5 "does not pin the audit certificate.*--allow-unpinned" \
	airca_nopin journal verify --journal "$T/journal.jsonl"
airca_nopin journal verify --journal "$T/journal.jsonl" --allow-unpinned >"$T/v" ||
	fail "format 1 with --allow-unpinned"
grep -q "NOT PINNED (format 1)" "$T/v" || fail "not reported as unpinned: $(cat "$T/v")"
grep -q "pinned by the root" "$T/v" && fail "format 1 reported as pinned"
"$AIRCA_BIN" --json journal verify --journal "$T/journal.jsonl" --allow-unpinned >"$T/vj" ||
	fail "json"
grep -q '"pinned-seq": 0' "$T/vj" || fail "json: pinned-seq not 0: $(cat "$T/vj")"
rc=0; sh "$TOP/docs/verify-journal.sh" "$T/journal.jsonl" "$T/root.pem" "$T/audit.pem" 2>"$T/r" || rc=$?
[ "$rc" -eq 5 ] || fail "recipe accepted format 1 ($rc)"
grep -q "format 1" "$T/r" || fail "recipe: $(cat "$T/r")"
# still a verified format-1 journal: a changed byte fails as before
sed -i '3s/"actor":"[a-z]*"/"actor":"mallory"/' "$T/journal.jsonl"
expect_fail 5 "was changed" airca_nopin journal verify --journal "$T/journal.jsonl" --allow-unpinned
echo ok
