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
# the batch step: 19 device certificates, the bad request rejected (exit 3 does not stop the demo)
B=$d/usb/device-certs
[ "$(ls "$B"/*.pem | wc -l)" -eq 19 ] || fail "batch: want 19 device certificates"
grep -q "^dev-07.csr: OU is 'other-factory'" "$B/rejected.txt" || fail "batch: dev-07 not rejected for its OU"
(cd "$B" && sha256sum -c --quiet SHA256SUMS) || fail "batch SHA256SUMS"
for f in "$B"/*.pem; do
	openssl verify -CAfile "$d/home/root.pem" -untrusted "$f" "$f" >/dev/null || fail "$f: chain"
done
grep -q '"event":"batch-end"' "$d/home/journal.jsonl" || fail "batch not journaled"
grep -q "Everything issued" "$T/demo.out" || fail "demo stopped after the batch"
# the demo's random PIN is never recorded: no "pin" field in journal, state or registry
pin_leak=$(grep -il '"[a-z-]*pin[a-z-]*":' "$d/home/journal.jsonl" "$d/home/airca.json" "$d/home/registry.jsonl" || true)
[ -z "$pin_leak" ] || fail "a PIN field in $pin_leak"
tail -1 "$d/home/journal.jsonl" | grep -qE '"event":"(checkpoint|seal)"' || fail "journal not signed at the end"

# a demo that fails leaves no temp directory behind
mkdir -p "$T/fail"
rc=0; TMPDIR=$T/fail "$AIRCA_BIN" --hsm "$T/no-such-profile.conf" demo > "$T/fail.out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "demo with a missing HSM profile succeeded"
grep -q 'failed; removed' "$T/fail.out" || { cat "$T/fail.out"; fail "demo failure not reported"; }
[ -z "$(ls -A "$T/fail")" ] || { ls -la "$T/fail"; fail "demo left $(ls "$T/fail") behind"; }
echo "demo ok"
