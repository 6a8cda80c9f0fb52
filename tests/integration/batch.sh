#!/usr/bin/env bash
# airca batch sign: a directory of device requests; every hostile input
# rejected with its own reason in rejected.txt, the rest signed (exit 3),
# chains verify with openssl, outputs match SHA256SUMS, batch journaled.
. "$(dirname "$0")/../lib.sh"
GEN="$TOP/$AIRCA_BUILD/tests/gen-csrs"

init_ca acme
H=$AIRCA_HOME
airca device-ca create --user-id u1 --label dca1 >/dev/null
dca=$(sed -n 's/.*"serial":"\([0-9a-f]*\)","profile":"device-ca".*/\1/p' "$H/registry.jsonl")
IN=$T/in OUT=$T/out
mkdir -p "$IN"

# 40 good ones, then one of each bad kind
"$GEN" "$IN" 40 acme good-
u() { printf '%08x-1111-4222-8333-%012x' "$1" "$1"; }
csr() { make_csr "$1" "$2" "${3:-}" "${4:-ec-p256}"; cp "$T/$1.csr" "$IN/$1.csr"; }

head -c 100000 /dev/zero > "$IN/big.csr"
ln -s "$IN/good-0000000.csr" "$IN/link.csr"
mkfifo "$IN/fifo.csr"
mkdir "$IN/subdir"
cp "$IN/good-0000001.csr" "$IN/.hidden.csr"
cp "$IN/good-0000002.csr" "$IN/$(printf 'ctl\033[31m.csr')"
: > "$IN/empty.csr"
echo "not a request at all" > "$IN/garbage.csr"
head -c 300 "$IN/good-0000003.csr" > "$IN/truncated.csr"
csr two "/CN=$(u 1)/OU=acme"; cat "$T/two.csr" "$IN/good-0000004.csr" > "$IN/two.csr"
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/c.key" \
	-subj "/CN=$(u 2)/OU=acme" -out "$IN/cert.csr" 2>/dev/null
make_csr sig "/CN=$(u 3)/OU=acme"
openssl req -in "$T/sig.csr" -outform DER -out "$IN/badsig.der"
len=$(stat -c %s "$IN/badsig.der")
flip_byte "$IN/badsig.der" $((len - 5))
csr rsa1024 "/CN=$(u 4)/OU=acme" "" rsa-1024
csr k256 "/CN=$(u 5)/OU=acme" "" ec-k256
csr ed25519 "/CN=$(u 6)/OU=acme" "" ed25519
csr noou "/CN=$(u 7)"
csr wrongou "/CN=$(u 8)/OU=evil"
csr nocn "/OU=acme"
csr nothex "/CN=$(u 171 | sed 's/^./g/')/OU=acme"
"$GEN" --one "$IN/longcn.csr" "$(printf '61%.0s' $(seq 1 100))" acme
"$GEN" --one "$IN/nul.csr" "$(u 11 | od -An -tx1 | tr -d ' \n')0041" acme
"$GEN" --one "$IN/ctlcn.csr" "$(u 12 | od -An -tx1 | tr -d ' \n')1b5b306d" acme
# a request that asks for CA:TRUE and a SAN: gets the device profile only
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/k" \
	-subj "/CN=$(u 13)/OU=acme/O=Evil" -addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign" -addext "subjectAltName=DNS:evil.example" \
	-out "$IN/asks-ca.csr" 2>/dev/null
# duplicates in the batch: same CN (another key), same key (another CN)
csr dupcn "/CN=$(u 13)/OU=acme"
openssl req -new -key "$T/k" -subj "/CN=$(u 14)/OU=acme" -out "$IN/dupkey.csr" 2>/dev/null
# CN already issued (by 'airca sign' before the batch)
make_csr old "/CN=$(u 15)/OU=acme"
airca sign --profile device --ca dca1 --in "$T/old.csr" --out "$T/old.pem" >/dev/null
csr reissue "/CN=$(u 15)/OU=acme"

rc=0
timeout 120 "$AIRCA_BIN" --pin-env TEST_PIN batch sign --ca dca1 --in "$IN" --out "$OUT" \
	>"$T/b.out" 2>"$T/b.err" || rc=$?
[ "$rc" -eq 3 ] || { cat "$T/b.err"; fail "batch with bad requests exited $rc, want 3"; }
grep -q "rejected" "$T/b.err" || fail "no partial message"
R=$OUT/rejected.txt
[ -f "$R" ] || fail "no rejected.txt"
# reject FILE PATTERN: FILE's line in rejected.txt gives that reason
reject() { grep -E -- "^$1: " "$R" | grep -qE -- "$2" || { cat "$R" >&2; fail "$1: want /$2/"; }; }
reject big.csr 'bytes, more than'
reject link.csr 'symbolic link'
reject fifo.csr 'FIFO|not a regular file'
reject subdir 'directory|not a regular file'
reject .hidden.csr 'hidden file'
reject 'ctl\\x1b\[31m.csr' 'control characters'
reject empty.csr 'empty'
reject garbage.csr 'not a certificate request'
reject truncated.csr 'truncated|PEM'
reject two.csr 'holds [0-9]+|several|more than one|2 '
reject cert.csr 'certificate, not'
reject badsig.der 'self-signature'
reject rsa1024.csr 'RSA.*1024'
reject k256.csr 'secp256k1'
reject ed25519.csr 'ED25519|Ed25519|ed25519'
reject noou.csr 'OU missing|OU.*missing'
reject wrongou.csr "OU.*evil.*acme"
reject nocn.csr 'CN'
reject nothex.csr 'pattern'
reject longcn.csr 'longer than'
reject nul.csr 'NUL'
reject ctlcn.csr 'control'
reject dupcn.csr "duplicate in this batch: CN $(u 13) is requested by asks-ca.csr"
reject dupkey.csr 'duplicate in this batch: the same public key as asks-ca.csr'
reject reissue.csr "duplicate: CN $(u 15) was issued before"
# nothing else rejected, no control byte reaches the file
[ "$(wc -l < "$R")" -eq 25 ] || { cat "$R"; fail "want 25 rejections, got $(wc -l < "$R")"; }
LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$R" && fail "control bytes in rejected.txt"

# 41 certificates: the 40 good ones and asks-ca
n=$(ls "$OUT"/*.pem | wc -l)
[ "$n" -eq 41 ] || fail "want 41 certificates, got $n"
for f in "$OUT"/*.pem; do
	cn=$(basename "$f" .pem)
	[ "$(grep -c 'BEGIN CERTIFICATE' "$f")" -eq 2 ] || fail "$f: not leaf + CA"
	openssl x509 -in "$f" -noout -subject -nameopt RFC2253 | grep -q "^subject=OU=acme,CN=$cn\$" ||
		fail "$f: subject"
	# leaf first, then the device CA itself
	openssl crl2pkcs7 -nocrl -certfile "$f" | openssl pkcs7 -print_certs -noout |
		sed -n 's/^subject=//p' | sed -n 2p | grep -q 'fio-u1' || fail "$f: second is not the device CA"
	openssl verify -CAfile "$H/root.pem" -untrusted "$f" "$f" >/dev/null || fail "$f: chain"
done
t=$(cert_text "$OUT/$(u 13).pem")
echo "$t" | grep -A1 'Basic Constraints: critical' | grep -q 'CA:FALSE' || fail "CA:TRUE request honoured"
echo "$t" | grep -A1 'Key Usage: critical' | grep -q 'Digital Signature$' || fail "keyCertSign copied"
echo "$t" | grep -q 'Subject Alternative Name' && fail "SAN copied"
echo "$t" | grep -q 'O = Evil' && fail "O copied"

# SHA256SUMS covers every output and checks; summary.json has the counts
(cd "$OUT" && sha256sum -c --quiet SHA256SUMS) || fail "SHA256SUMS"
[ "$(wc -l < "$OUT/SHA256SUMS")" -eq 43 ] || fail "SHA256SUMS lines"
python3 - "$OUT/summary.json" "$IN" <<'EOF' || fail "summary.json"
import json, sys, hashlib, os
s = json.load(open(sys.argv[1]))
assert s["total"] == 66 and s["signed"] == 41 and s["rejected"] == 25 and s["skipped"] == 0, s
assert len(s["certificates"]) == 41
for c in s["certificates"]:
    data = open(os.path.join(sys.argv[2], c["file"]), "rb").read()
    assert hashlib.sha256(data).hexdigest() == c["sha256"], c
    assert c["status"] == "signed" and len(c["serial"]) == 32 and len(c["fingerprint"]) == 64
EOF
# every certificate's fingerprint is the one in summary.json
for f in "$OUT"/*.pem; do
	fp=$(openssl x509 -in "$f" -outform DER | sha256sum | cut -c1-64)
	grep -q "\"fingerprint\": \"$fp\"" "$OUT/summary.json" || fail "$f: fingerprint not in summary"
done

# the journal: batch-start, 41 cert-issued with serial+fingerprint, 25 rejected, batch-end with the trees
J=$H/journal.jsonl
airca journal verify >/dev/null || fail "journal does not verify"
grep -q '"event":"batch-start"' "$J" || fail "no batch-start"
[ "$(grep '"event":"cert-issued"' "$J" | grep '"input-sha256"' | grep -c '"batch":')" -eq 41 ] || fail "cert-issued events"
[ "$(grep -c '"event":"csr-rejected"' "$J")" -eq 25 ] || fail "csr-rejected events"
end=$(grep '"event":"batch-end"' "$J")
sums=$(sha256sum < "$OUT/SHA256SUMS" | cut -c1-64)
echo "$end" | grep -q "\"out-tree-sha256\":\"$sums\"" || fail "batch-end out tree"
echo "$end" | grep -q '"signed":41' || fail "batch-end counts"
grep -q 'ctl\\\\x1b' "$J" || fail "hostile file name not escaped in the journal"

# exit codes: all good -> 0; usage -> 2; unknown CA -> 1; the root is no device CA
mkdir "$T/in2"
"$GEN" "$T/in2" 5 acme
airca batch sign --ca dca1 --in "$T/in2" --out "$T/out2" >/dev/null || fail "clean batch not 0"
[ "$(ls "$T/out2"/*.pem | wc -l)" -eq 5 ] || fail "clean batch outputs"
# the input tree hash is the coreutils one (docs/batch.md)
want=$(cd "$T/in2" && LC_ALL=C sha256sum -- * | sha256sum | cut -c1-64)
grep -q "\"in-tree-sha256\": \"$want\"" "$T/out2/summary.json" || fail "input tree hash is not the coreutils recipe"
expect_fail 2 "usage" airca batch sign --ca dca1 --in "$T/in2"
expect_fail 1 "no CA labelled" airca batch sign --ca nosuch --in "$T/in2" --out "$T/out3"
expect_fail 2 "root" airca batch sign --ca airca-root --in "$T/in2" --out "$T/out3"
expect_fail 2 "input directory" airca batch sign --ca dca1 --in "$T/in2" --out "$T/in2/."
ln -s "$T/in2" "$T/inlink"
expect_fail 1 "symbolic link|not a directory" airca batch sign --ca dca1 --in "$T/inlink" --out "$T/out3"

# an output that is there and differs is never overwritten
mkdir "$T/in4"
"$GEN" "$T/in4" 3 acme
cn=$(openssl req -in "$T/in4/dev-0000001.csr" -noout -subject -nameopt RFC2253 | sed 's/.*CN=\([^,]*\).*/\1/')
mkdir "$T/out4"
echo "something else" > "$T/out4/$cn.pem"
expect_fail 1 "exists and is not this certificate" airca batch sign --ca dca1 --in "$T/in4" --out "$T/out4"
[ "$(cat "$T/out4/$cn.pem")" = "something else" ] || fail "existing output overwritten"
[ -e "$T/out4/SHA256SUMS" ] && fail "SHA256SUMS written for a failed batch"
airca journal verify >/dev/null || fail "journal after a failed batch"
# moved away, the re-run finishes: what the failed run journaled is skipped, not signed again
mv "$T/out4/$cn.pem" "$T/moved.pem"
airca batch sign --ca dca1 --in "$T/in4" --out "$T/out4" >"$T/b4.out" || fail "re-run after a failed batch"
grep -q "0 signed, 3 skipped" "$T/b4.out" || { cat "$T/b4.out"; fail "re-run after a failure signed again"; }
airca registry rebuild >"$T/rb.out" 2>&1 || fail "registry rebuild"
grep -q "identical to the registry it replaced" "$T/rb.out" || { cat "$T/rb.out"; fail "registry and journal disagree"; }

# every request refused: the message says none was signed, not "the rest are"
mkdir -p "$T/in5"
make_csr bad5 "/CN=0f1e2d3c-4b5a-4978-8a6b-555555555555/OU=evil"
cp "$T/bad5.csr" "$T/in5/bad.csr"
expect_fail 3 '1 of 1 requests rejected \(see .*/rejected.txt\); none signed$' \
	airca batch sign --ca dca1 --in "$T/in5" --out "$T/out5"
grep -q 'the rest are signed' "$T/.stderr" && fail "all refused, yet 'the rest are signed'"
echo "batch ok"
