#!/usr/bin/env bash
# airca demo: the narrated ceremony runs end to end on its own SoftHSM token.
. "$(dirname "$0")/../lib.sh"

unset AIRCA_HOME SOFTHSM2_CONF
TMPDIR=$T "$AIRCA_BIN" demo > "$T/demo.out" 2>"$T/demo.err" || { cat "$T/demo.out" "$T/demo.err"; fail "demo failed"; }
d=$(ls -d "$T"/airca-demo.* | head -1)
[ -d "$d" ] || fail "demo dir missing"
grep -q "factory root initialised for 'demo-factory'" "$T/demo.out" || fail "init not narrated"
grep -q "device CA 'dca-demo'" "$T/demo.out" || fail "device CA not made"
[ -f "$d/usb/upload/upload.json" ] || fail "no upload.json"
(cd "$d/usb/upload" && sha256sum -c --quiet SHA256SUMS) || fail "SHA256SUMS"
openssl verify -CAfile "$d/home/root.pem" "$d/usb/upload/tls.pem" >/dev/null || fail "tls chain"
# the demo PIN never reaches the files it wrote or its output
pin_leak=$(grep -rl 'PIN' "$d/home" 2>/dev/null || true)
[ -z "$pin_leak" ] || fail "PIN-like text in $pin_leak"
tail -1 "$d/home/journal.jsonl" | grep -qE '"event":"(checkpoint|seal)"' || fail "journal not signed at the end"
echo "demo ok"
