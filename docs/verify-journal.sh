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

# Step 0: the format this recipe knows.
case $(head -n 1 "$J") in
*'"data":{"format":"airca-journal","version":1,'*)
	fail "line 1: format 1: the audit certificate is not pinned by the root; this recipe checks format 2 only (airca journal verify --allow-unpinned reads format 1)" ;;
esac

# Step 1: the audit certificate chains to the root and carries the
# documentSigning purpose (RFC 9336) that only the audit profile has.
# Validity times are not checked: a journal is evidence long after its
# certificates expire.  The fingerprints below are compared with the
# journal's audit-pin, which the root signed.
openssl verify -no_check_time -x509_strict -CAfile "$ROOT" "$AUDIT" \
	>/dev/null 2>&1 || fail "the audit certificate does not chain to the root"
openssl x509 -in "$AUDIT" -noout -ext extendedKeyUsage 2>/dev/null |
	grep -Eq '1\.3\.6\.1\.5\.5\.7\.3\.36|Document Signing' ||
	fail "the audit certificate lacks the documentSigning purpose"
AFP=$(openssl x509 -in "$AUDIT" -outform DER | sha256sum | cut -d' ' -f1)
RFP=$(openssl x509 -in "$ROOT" -outform DER | sha256sum | cut -d' ' -f1)
openssl x509 -in "$AUDIT" -noout -pubkey >"$W/audit-pub.pem"
openssl x509 -in "$ROOT" -noout -pubkey >"$W/root-pub.pem"
ASPKI=$(openssl pkey -pubin -in "$W/audit-pub.pem" -outform DER | sha256sum | cut -d' ' -f1)

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
# version, the audit-pin and the fields of every checkpoint and seal.
# Each signed line's message (the line with "sig":"" after the prefix
# "airca-journal-v2" and a newline) goes to $W/m.LINE, its signature to
# $W/sigs; the seal hashes to $W/seals.
awk -v afp="$AFP" -v rfp="$RFP" -v aspki="$ASPKI" -v d="$W" \
    -v sigs="$W/sigs" -v seals="$W/seals" '
function fail(msg) {
	printf "FAIL: line %d: %s\n", FNR, msg > "/dev/stderr"
	bad = 1
	exit 5
}
FNR == NR { h[FNR] = $1; nh = FNR; next }
{
	if ($0 !~ /^\{"seq":[0-9]+,"time":"[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z","ceremony":"([^"\\]|\\.)*","event":"[a-z0-9-]+","actor":"([^"\\]|\\.)*","data":\{.*\},"prev":(null|"[0-9a-f]+")\}$/)
		fail("not an entry: keys seq, time, ceremony, event, actor, data, prev")
	# canonical form, as airca writes it: compact (no white space outside
	# strings), integers only, no needless escapes in strings
	s = $0
	gsub(/"([^"\\]|\\.)*"/, "", s)
	if (s ~ /[^][{}:,0-9a-z-]/ || s ~ /[^a-z](true|false|null)[a-z]/ || s ~ /[0-9][a-z]|-0|[^0-9]0[0-9]/)
		fail("not in canonical form (compact JSON, integers, as airca writes it)")
	if ($0 ~ /(^|[^\\])(\\\\)*\\(\/|u00[2-7][0-9a-fA-F])/)
		fail("not in canonical form (a needless escape in a string)")
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
		if (v + 0 == 1)
			fail("format 1: the audit certificate is not pinned by the root; this recipe checks format 2 only (airca journal verify --allow-unpinned reads format 1)")
		if (v + 0 != 2)
			fail("format version " (v + 0) " is not 2, the version this recipe knows")
	} else {
		if (event == "journal-open")
			fail("journal-open after the first entry")
		if (prev != "\"" h[FNR - 1] "\"")
			fail("prev is not the SHA-256 of line " (FNR - 1) ": that entry or this one was changed")
	}
	if (event == "checkpoint" || event == "seal" || event == "audit-pin") {
		t = $0
		if (gsub(/"sig":"/, "", t) != 1)
			fail(event ": the line must hold exactly one \"sig\" key")
		if (event == "audit-pin") {
			if ($0 !~ /,"data":\{"from":[0-9]+,"to":[0-9]+,"head":"[0-9a-f]+","audit-cert":"[0-9a-f]+","audit-spki":"[0-9a-f]+","audit-serial":"[0-9A-F]+","root-cert":"[0-9a-f]+","alg":"sha(256|384)","sig":"[A-Za-z0-9+\/=]+"\},"prev":"[0-9a-f]+"\}$/)
				fail("audit-pin data must be exactly from, to, head, audit-cert, audit-spki, audit-serial, root-cert, alg, sig")
		} else if (event == "checkpoint") {
			if ($0 !~ /,"data":\{"from":[0-9]+,"to":[0-9]+,"head":"[0-9a-f]+","audit-cert":"[0-9a-f]+","alg":"sha(256|384)","sig":"[A-Za-z0-9+\/=]+"\},"prev":"[0-9a-f]+"\}$/)
				fail("checkpoint data must be exactly from, to, head, audit-cert, alg, sig")
		} else if ($0 !~ /"from":[0-9]+,"to":[0-9]+,"head":"[0-9a-f]+","audit-cert":"[0-9a-f]+","alg":"sha(256|384)","sig":"[A-Za-z0-9+\/=]+"\},"prev":"[0-9a-f]+"\}$/)
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
			fail(event " names another audit certificate than the one given (the pinned one)")
		if (event == "audit-pin") {
			if (p[14] != aspki)
				fail("audit-pin: audit-spki is not the SHA-256 of the audit key")
			if (p[22] != rfp)
				fail("audit-pin names another root certificate than the one given")
			alg = p[26]; sig = p[30]; key = "root"
			pinned = FNR
		} else {
			if (!pinned)
				fail(event " before any audit-pin: only the audit certificate the root pinned counts")
			alg = p[14]; sig = p[18]; key = "audit"
		}
		m = $0
		sub(/"sig":"[A-Za-z0-9+\/=]*"/, "\"sig\":\"\"", m)
		f = d "/m." FNR
		printf "airca-journal-v2\n%s", m > f
		close(f)
		print FNR, key, alg, sig > sigs
		if (event == "seal")
			print h[FNR] > seals
		last = FNR
		nsig++
	}
}
END {
	if (bad)
		exit 5
	if (!pinned)
		fail("no audit-pin: the audit certificate is not pinned by the root")
	if (last != NR - nh)
		fail((NR - nh - last) " entries after the last signature at seq " last " are unsigned")
	print NR - nh, nsig > (sigs ".count")
}' "$W/hashes" "$J" || exit 5

# Step 5: every signature with openssl: the audit-pin with the root's
# key, checkpoints and seals with the (pinned) audit key.
touch "$W/sigs" "$W/seals"
while read -r line key alg sig; do
	printf '%s' "$sig" | base64 -d >"$W/sig.der" ||
		fail "line $line: sig is not base64"
	openssl dgst "-$alg" -verify "$W/$key-pub.pem" \
		-signature "$W/sig.der" "$W/m.$line" >/dev/null 2>&1 ||
		fail "line $line: the signature does not verify with the $key key"
done <"$W/sigs"

# Step 6: the seal the witnesses wrote down.
if [ -n "$SEAL" ]; then
	S=$(printf '%s' "$SEAL" | tr -d ' :-' | tr 'A-F' 'a-f')
	grep -qx "$S" "$W/seals" ||
		fail "seal not found: the journal was truncated or is not the one sealed"
fi
read -r entries nsig <"$W/sigs.count"
echo "OK: $entries entries, $nsig signatures, head $(tail -n 1 "$W/hashes")"
