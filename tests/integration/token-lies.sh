#!/usr/bin/env bash
# A token that lies (tests/p11shim): a corrupted signature, a signature by
# another key on the token, a key read back as not sensitive.  airca checks
# what the token hands back, so none of it reaches an output or the journal
# as good: the batch stops with the reason, and the journal verifies.
. "$(dirname "$0")/../lib.sh"
GEN="$TOP/$AIRCA_BUILD/tests/gen-csrs"

init_ca acme
J=$AIRCA_HOME/journal.jsonl
airca device-ca create --user-id u1 --label dca1 >/dev/null
use_shim
mkdir -p "$T/in"
"$GEN" "$T/in" 20 acme
issued() { grep -c '"event":"cert-issued"' "$J" || true; }
base=$(issued)
verify() { airca journal verify >/dev/null 2>"$T/v.err" || { cat "$T/v.err" >&2; fail "journal does not verify: $1"; }; }

# the 5th signature (a certificate: the 1st signs batch-start) comes back damaged
P11SHIM_CORRUPT_SIGN=5 expect_fail 1 "the new device certificate does not verify with the issuer.s public key" \
	airca batch sign --ca dca1 --in "$T/in" --out "$T/o1"
verify "after a corrupted signature"
# signed by another key of the token (the root's or the audit key)
P11SHIM_WRONG_KEY=5 expect_fail 1 "the new device certificate does not verify with the issuer.s public key" \
	airca batch sign --ca dca1 --in "$T/in" --out "$T/o2"
verify "after a signature by another key"
[ "$(issued)" -eq "$base" ] || fail "a certificate was journaled from a lying token"
for o in o1 o2; do
	[ -n "$(ls "$T/$o" 2>/dev/null | grep '\.pem$')" ] && fail "$o: a certificate was written"
done

# a key the token says is not sensitive is not used (the root's is checked first)
P11SHIM_LIE_SENSITIVE=1 expect_fail 4 "key '[^']+' on token 'airca' is not SENSITIVE" \
	airca batch sign --ca dca1 --in "$T/in" --out "$T/o3"
verify "after a key read back as not sensitive"

# the same token, honest again, signs the batch
airca batch sign --ca dca1 --in "$T/in" --out "$T/o4" >"$T/o4.out" || fail "honest run"
grep -q "20 signed, 0 skipped" "$T/o4.out" || { cat "$T/o4.out"; fail "honest run: want 20 signed"; }
verify "after the honest run"
echo "token-lies ok"
