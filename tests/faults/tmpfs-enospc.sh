#!/usr/bin/env bash
# tests/faults/tmpfs-enospc.sh: a real full disk.  batch sign writes OUT on a
# small tmpfs that fills up mid-batch: the command fails naming "No space
# left on device", the journal verifies, OUT holds no SHA256SUMS (the batch
# does not look complete) and only complete certificates; after the tmpfs
# is made bigger, the re-run finishes: SHA256SUMS checks, no CN or serial
# twice.  Needs root (mount); skips with a message otherwise.
. "$(dirname "$0")/../lib.sh"
GEN="$TOP/$AIRCA_BUILD/tests/gen-csrs"

if [ "$(id -u)" -ne 0 ]; then
	echo "skip: mounting a tmpfs needs root"
	exit 0
fi
MNT=$T/small
mkdir -p "$MNT"
if ! mount -t tmpfs -o size=96k,mode=0755 tmpfs "$MNT" 2>"$T/mount.err"; then
	echo "skip: cannot mount a tmpfs here: $(cat "$T/mount.err")"
	exit 0
fi
trap 'umount "$MNT" 2>/dev/null; rm -rf "$T"' EXIT

init_ca acme
J=$AIRCA_HOME/journal.jsonl
airca device-ca create --user-id u1 --label dca1 >/dev/null
N=60
mkdir -p "$T/in"
"$GEN" "$T/in" $N acme >/dev/null
OUT=$MNT/out

rc=0
airca batch sign --ca dca1 --in "$T/in" --out "$OUT" >"$T/run.out" 2>"$T/run.err" || rc=$?
[ $rc -ne 0 ] || fail "the batch succeeded on a 96 KiB file system: make N bigger"
grep -q "No space left on device" "$T/run.err" || { cat "$T/run.err"; fail "the error does not say 'No space left on device'"; }
echo "full disk: exit $rc: $(grep -v 'warning: network' "$T/run.err" | tail -1)"
airca journal verify >/dev/null 2>"$T/v.err" || { cat "$T/v.err"; fail "journal verify after ENOSPC"; }
[ ! -e "$OUT/SHA256SUMS" ] || fail "SHA256SUMS written although the batch failed"
for f in "$OUT"/*.pem; do
	[ -e "$f" ] || continue
	openssl x509 -in "$f" -noout 2>/dev/null || fail "$f is not a complete certificate"
done
[ -z "$(find "$OUT" -name '.airca-tmp.*')" ] || fail "temp files left in OUT after the error: $(ls -A "$OUT" | grep airca-tmp)"

# more space, and the batch finishes
mount -o remount,size=8m "$MNT"
airca batch sign --ca dca1 --in "$T/in" --out "$OUT" >"$T/re.out" 2>"$T/re.err" || { cat "$T/re.err"; fail "re-run after freeing space"; }
(cd "$OUT" && sha256sum -c --quiet SHA256SUMS) || fail "SHA256SUMS after the re-run"
[ "$(ls "$OUT"/*.pem | wc -l)" -eq $N ] || fail "want $N certificates"
airca journal verify >/dev/null || fail "journal verify after the re-run"
grep '"event":"cert-issued"' "$J" | grep -o '"serial":"[0-9a-f]*"' | sort | uniq -d > "$T/dup"
[ -s "$T/dup" ] && fail "serial issued twice: $(head -1 "$T/dup")"
grep '"event":"cert-issued"' "$J" | grep '"profile":"device"' | grep -o '"cn":"[^"]*"' | sort | uniq -d > "$T/dup"
[ -s "$T/dup" ] && fail "CN issued twice: $(head -1 "$T/dup")"
echo "tmpfs-enospc ok"
