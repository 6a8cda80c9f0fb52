# journal-openssl.sh: the openssl-only recipe (docs/verify-journal.sh) agrees
# with 'airca journal verify' on sound and tampered journals: signed with
# software keys (P-256, P-384, RSA) by the unit test's writer, and a real
# one made by airca on SoftHSM.
. "$(dirname "$0")/../lib.sh"

RECIPE="$TOP/docs/verify-journal.sh"
MAKER="$TOP/$AIRCA_BUILD/tests/test-journal"
[ -x "$MAKER" ] || fail "$MAKER missing: make bins first"

# agree WANT DIR [SEAL]: both verifiers exit WANT on DIR/journal.jsonl
agree() {
	local want=$1 dir=$2 seal=${3:-} rc1=0 rc2=0
	sh "$RECIPE" "$dir/journal.jsonl" "$dir/root.pem" "$dir/audit.pem" \
		${seal:+"$seal"} >"$T/recipe.out" 2>&1 || rc1=$?
	if [ -n "$seal" ]; then
		airca_nopin journal verify --journal "$dir/journal.jsonl" \
			--seal "$seal" >"$T/airca.out" 2>&1 || rc2=$?
	else
		airca_nopin journal verify --journal "$dir/journal.jsonl" \
			>"$T/airca.out" 2>&1 || rc2=$?
	fi
	[ "$rc1" -eq "$want" ] || { cat "$T/recipe.out" >&2; fail "recipe exited $rc1 on $dir, want $want"; }
	[ "$rc2" -eq "$want" ] || { cat "$T/airca.out" >&2; fail "airca exited $rc2 on $dir, want $want"; }
	if [ "$want" -eq 0 ]; then
		# the same head hash
		h1=$(sed -n 's/.*head \([0-9a-f]*\)$/\1/p' "$T/recipe.out")
		h2=$(sed -n 's/^  head *\([0-9a-f]*\)$/\1/p' "$T/airca.out")
		[ -n "$h1" ] && [ "$h1" = "$h2" ] || fail "heads differ: '$h1' '$h2'"
	fi
}

# tampered DIR NAME: a copy of DIR's home as $T/NAME, journal to be edited
tampered() {
	rm -rf "$T/$2"
	cp -r "$1" "$T/$2"
	echo "$T/$2"
}

check_home() {
	local h=$1 seal=$2 n d
	agree 0 "$h"
	agree 0 "$h" "$seal"
	n=$(wc -l <"$h/journal.jsonl")

	d=$(tampered "$h" changed)
	sed -i '3s/"seq":3,"time":"2/"seq":3,"time":"1/' "$d/journal.jsonl"
	agree 5 "$d"
	d=$(tampered "$h" deleted)
	sed -i '3d' "$d/journal.jsonl"
	agree 5 "$d"
	d=$(tampered "$h" inserted)
	sed -i '3p' "$d/journal.jsonl"
	agree 5 "$d"
	d=$(tampered "$h" swapped)
	sed -i '3{h;d};4G' "$d/journal.jsonl"
	agree 5 "$d"
	d=$(tampered "$h" truncated)
	truncate -s -10 "$d/journal.jsonl"
	agree 5 "$d"
	d=$(tampered "$h" unsigned)
	sed -i "${n}d" "$d/journal.jsonl"
	sed -i "$((n - 1))d" "$d/journal.jsonl"
	agree 5 "$d"
	d=$(tampered "$h" cut-after-seal)
	sed -i "${n}d" "$d/journal.jsonl"
	agree 5 "$d" "$seal"
	d=$(tampered "$h" wrong-seal)
	agree 5 "$d" 0000000000000000000000000000000000000000000000000000000000000000
	d=$(tampered "$h" other-audit)
	cp "$T/other/audit.pem" "$d/audit.pem"
	agree 5 "$d"
}

"$MAKER" --make "$T/other" ec-p256 2>/dev/null || { mkdir -p "$T/other" && "$MAKER" --make "$T/other" ec-p256; }
for kt in ec-p256 ec-p384 rsa-2048; do
	mkdir -p "$T/$kt"
	"$MAKER" --make "$T/$kt" "$kt"
	check_home "$T/$kt" "$(cat "$T/$kt/seal.hex")"
	echo "ok: $kt"
done

# A real journal: init, a device CA, a seal, on SoftHSM.
make_token
airca init --factory ACME >/dev/null
airca device-ca create --user-id line-1 >/dev/null
seal=$(airca --json journal seal | sed -n 's/.*"seal": "\([0-9a-f]*\)".*/\1/p')
[ -n "$seal" ] || fail "journal seal printed no hash"
check_home "$AIRCA_HOME" "$seal"
echo "ok: real journal"
