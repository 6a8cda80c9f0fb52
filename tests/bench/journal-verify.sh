#!/usr/bin/env bash
# journal-verify.sh: verify rate of a 100,000-entry journal signed every
# 1,000 entries, beside openssl dgst -verify on the same signatures and
# sha256sum of the same lines.  Prints figures; never fails.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
: "${AIRCA_BUILD:=build}"
: "${N:=100000}"
: "${K:=1000}"
B="$TOP/$AIRCA_BUILD"
T=$(mktemp -d "${TMPDIR:-/tmp}/airca-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT
export LC_ALL=C

now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { d = b - a; if (d <= 0) d = 1e-9; printf "%10.3f s  %12.0f /s", d, n / d }'; }

mkdir -p "$B/bench"
# the generator links the core library built with the same flags
if ! make -C "$TOP" --no-print-directory -s BUILD="$AIRCA_BUILD" "$AIRCA_BUILD/libairca.a" >/dev/null ||
   ! ${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -I"$TOP/src" -I"$TOP/tests/unit" \
	$(pkg-config --cflags jansson) -o "$B/bench/gen-journal" \
	"$TOP/tests/bench/gen-journal.c" "$B/libairca.a" \
	$(pkg-config --libs jansson libp11 libqrencode inih p11-kit-1 libgfshare 2>/dev/null) -lcrypto -lpthread \
	$(nm "$B/libairca.a" 2>/dev/null | grep -q __asan_init && echo -fsanitize=address,undefined); then
	echo "journal-verify: cannot build the generator; skipped"
	exit 0
fi

t0=$(now)
"$B/bench/gen-journal" "$T" "$N" "$K" || { echo "generator failed; skipped"; exit 0; }
t1=$(now)
lines=$(wc -l <"$T/journal.jsonl")
nsig=$(grep -c '"event":"checkpoint"' "$T/journal.jsonl")
printf 'journal: %d entries, %d checkpoints, %d bytes (written in %.2f s)\n\n' \
	"$lines" "$nsig" "$(wc -c <"$T/journal.jsonl")" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')"

printf '%-46s %s\n' "what" "     time          rate"
if [ -x "$B/airca" ]; then
	t0=$(now)
	"$B/airca" journal verify --journal "$T/journal.jsonl" >"$T/v.out" 2>&1 || cat "$T/v.out"
	t1=$(now)
	printf '%-46s %s entries\n' "airca journal verify" "$(rate "$lines" "$t0" "$t1")"
else
	echo "(no $B/airca yet: timing journal_verify() through the generator)"
fi
t0=$(now)
"$B/bench/gen-journal" --verify "$T" >"$T/g.out" 2>&1 || cat "$T/g.out"
t1=$(now)
printf '%-46s %s entries\n' "journal_verify() (library, same checks)" "$(rate "$lines" "$t0" "$t1")"

# the same signatures, one openssl process each, over the bytes format 2
# signs (docs/journal.md section 5): "airca-journal-v2\n" and the line
# with its "sig" emptied
grep -n '"event":"checkpoint"' "$T/journal.jsonl" >"$T/sigs"
openssl x509 -in "$T/audit.pem" -noout -pubkey >"$T/pub.pem"
i=0
t0=$(now)
while IFS= read -r line; do
	n=${line%%:*}
	line=${line#*:}
	{ printf 'airca-journal-v2\n'; printf '%s' "$line" | sed 's/"sig":"[A-Za-z0-9+\/=]*"/"sig":""/'; } >"$T/msg"
	printf '%s' "$line" | sed 's/.*"sig":"\([^"]*\)".*/\1/' | base64 -d >"$T/sig.der"
	openssl dgst -sha256 -verify "$T/pub.pem" -signature "$T/sig.der" "$T/msg" >/dev/null || echo "openssl: bad signature on line $n"
	i=$((i + 1))
done <"$T/sigs"
t1=$(now)
printf '%-46s %s signatures\n' "openssl dgst -verify, $i checkpoints" "$(rate "$i" "$t0" "$t1")"

t0=$(now)
sha256sum "$T/journal.jsonl" >/dev/null
t1=$(now)
printf '%-46s %s entries\n' "sha256sum of the whole file" "$(rate "$lines" "$t0" "$t1")"

t0=$(now)
mkdir "$T/l"
for ((d = 0; d <= lines / 10000; d++)); do mkdir "$T/l/$(printf '%05d' $d)"; done
awk -v d="$T/l" '{ f = sprintf("%s/%05d/%09d", d, int(NR / 10000), NR); printf "%s", $0 > f; close(f) }' "$T/journal.jsonl"
for s in "$T"/l/*; do (cd "$s" && sha256sum -- *); done >/dev/null
t1=$(now)
printf '%-46s %s entries\n' "sha256sum of each line (split as the recipe)" "$(rate "$lines" "$t0" "$t1")"
rm -rf "$T/l"

t0=$(now)
sh "$TOP/docs/verify-journal.sh" "$T/journal.jsonl" "$T/root.pem" "$T/audit.pem" >"$T/r.out" 2>&1 || cat "$T/r.out"
t1=$(now)
printf '%-46s %s entries\n' "docs/verify-journal.sh (whole recipe)" "$(rate "$lines" "$t0" "$t1")"
exit 0
