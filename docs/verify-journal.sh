#!/bin/sh
# verify-journal.sh: check an airca journal with the openssl CLI and
# coreutils (sh, awk, sed-free) alone; the recipe of docs/journal.md.
#
#   usage: verify-journal.sh JOURNAL ROOT.pem AUDIT.pem [SEAL-HEX]
#
# Exits 0 and prints the head hash if the journal verifies, 5 and the
# first bad line otherwise (as 'airca journal verify' does), 2 on usage.
set -eu
LC_ALL=C
export LC_ALL

[ $# -ge 3 ] && [ $# -le 4 ] || {
	echo "usage: $0 JOURNAL ROOT.pem AUDIT.pem [SEAL-HEX]" >&2
	exit 2
}
J=$1 ROOT=$2 AUDIT=$3 SEAL=${4:-}
W=$(mktemp -d "${TMPDIR:-/tmp}/verify-journal.XXXXXX")
trap 'rm -rf "$W"' EXIT INT TERM
fail() { echo "FAIL: $*" >&2; exit 5; }

# Step 1: the audit certificate chains to the root.  Validity times are
# not checked: a journal is evidence long after its certificates expire.
openssl verify -no_check_time -x509_strict -CAfile "$ROOT" "$AUDIT" \
	>/dev/null 2>&1 || fail "the audit certificate does not chain to the root"
AFP=$(openssl x509 -in "$AUDIT" -outform DER | sha256sum | cut -d' ' -f1)
openssl x509 -in "$AUDIT" -noout -pubkey >"$W/audit-pub.pem"

# Step 2: complete lines of printable ASCII.
[ -s "$J" ] || fail "$J is empty"
[ "$(tail -c 1 "$J" | wc -l)" -eq 1 ] ||
	fail "the last line is incomplete (no newline at the end: an interrupted append)"
if n=$(grep -n -m 1 '[^ -~]' "$J" | cut -d: -f1) && [ -n "$n" ]; then
	fail "line $n: not printable ASCII"
fi

# Step 3: the SHA-256 of every line without its newline, in order.
N=$(wc -l <"$J")
i=0
while [ "$i" -le $((N / 10000)) ]; do
	mkdir "$W/$(printf '%05d' "$i")"
	i=$((i + 1))
done
awk -v d="$W" '{
	f = sprintf("%s/%05d/%09d", d, int(NR / 10000), NR)
	printf "%s", $0 > f
	close(f)
}' "$J"
for sub in "$W"/[0-9]*; do
	(cd "$sub" && sha256sum -- *)
done | cut -d' ' -f1 >"$W/hashes"

# Step 4: line by line: shape, seq, prev chain, first line's magic and
# version, and the fields of every checkpoint and seal.  The signatures
# to check go to $W/sigs, the seal hashes to $W/seals.
awk -v afp="$AFP" -v sigs="$W/sigs" -v seals="$W/seals" '
function fail(msg) {
	printf "FAIL: line %d: %s\n", FNR, msg > "/dev/stderr"
	bad = 1
	exit 5
}
FNR == NR { h[FNR] = $1; nh = FNR; next }
{
	if ($0 !~ /^\{"seq":[0-9]+,"time":"[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z","ceremony":"([^"\\]|\\.)*","event":"[a-z0-9-]+","actor":"([^"\\]|\\.)*","data":\{.*\},"prev":(null|"[0-9a-f]+")\}$/)
		fail("not an entry: keys seq, time, ceremony, event, actor, data, prev")
	s = $0
	sub(/^\{"seq":/, "", s)
	seq = substr(s, 1, index(s, ",") - 1) + 0
	if (seq != FNR)
		fail("seq " seq " where " FNR " was expected (deleted, inserted or reordered entries)")
	s = $0
	sub(/^\{"seq":[0-9]+,"time":"[^"]*","ceremony":"([^"\\]|\\.)*","event":"/, "", s)
	event = substr(s, 1, index(s, "\"") - 1)
	prev = $0
	sub(/^.*,"prev":/, "", prev)
	sub(/\}$/, "", prev)
	if (FNR == 1) {
		if (event != "journal-open" || prev != "null")
			fail("the first entry must be journal-open with prev null")
		if ($0 !~ /,"data":\{"format":"airca-journal","version":[0-9]+[,}]/)
			fail("not an airca journal (data.format)")
		v = $0
		sub(/^.*,"data":\{"format":"airca-journal","version":/, "", v)
		if (v + 0 != 1)
			fail("format version " (v + 0) " is not 1, the version this recipe knows")
	} else {
		if (event == "journal-open")
			fail("journal-open after the first entry")
		if (prev != "\"" h[FNR - 1] "\"")
			fail("prev is not the SHA-256 of line " (FNR - 1) ": that entry or this one was changed")
	}
	if (event == "checkpoint" || event == "seal") {
		if ($0 !~ /"from":[0-9]+,"to":[0-9]+,"head":"[0-9a-f]+","audit-cert":"[0-9a-f]+","alg":"sha(256|384)","sig":"[A-Za-z0-9+\/=]+"\},"prev":"[0-9a-f]+"\}$/)
			fail(event " data must end with from, to, head, audit-cert, alg, sig")
		t = $0
		sub(/^.*"from":/, "", t)
		split(t, p, "\"")
		from = p[1] + 0
		to = substr(p[3], 2) + 0
		want = last + 1 <= to ? last + 1 : to
		if (to != FNR - 1)
			fail(event " covers up to " to ", not the entry before it")
		if (from != want)
			fail(event " covers from " from ", not from " want)
		if (p[6] != h[FNR - 1])
			fail(event " head is not the SHA-256 of line " to)
		if (p[10] != afp)
			fail(event " was made with another audit certificate")
		print FNR, to, p[6], p[14], p[18] > sigs
		if (event == "seal")
			print h[FNR] > seals
		last = FNR
		nsig++
	}
}
END {
	if (bad)
		exit 5
	if (last != NR - nh)
		fail((NR - nh - last) " entries after the last signature at seq " last " are unsigned")
	print NR - nh, nsig > (sigs ".count")
}' "$W/hashes" "$J" || exit 5

# Step 5: every signature, with openssl over "airca-journal-v1 TO HEAD\n".
touch "$W/sigs" "$W/seals"
while read -r line to head alg sig; do
	printf 'airca-journal-v1 %s %s\n' "$to" "$head" >"$W/msg"
	printf '%s' "$sig" | base64 -d >"$W/sig.der" ||
		fail "line $line: sig is not base64"
	openssl dgst "-$alg" -verify "$W/audit-pub.pem" \
		-signature "$W/sig.der" "$W/msg" >/dev/null 2>&1 ||
		fail "line $line: the signature does not verify with the audit key"
done <"$W/sigs"

# Step 6: the seal the witnesses wrote down.
if [ -n "$SEAL" ]; then
	S=$(printf '%s' "$SEAL" | tr -d ' :-' | tr 'A-F' 'a-f')
	grep -qx "$S" "$W/seals" ||
		fail "seal not found: the journal was truncated or is not the one sealed"
fi
read -r entries nsig <"$W/sigs.count"
echo "OK: $entries entries, $nsig signatures, head $(tail -n 1 "$W/hashes")"
