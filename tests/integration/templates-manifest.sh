#!/usr/bin/env bash
# Device manifests (issue 16): an INeS-style template signs a batch against
# a CSV carried on the stick.  serialNumber and O are mapped from the
# device's row, C has a default, validity is unlimited (notAfter
# 99991231235959Z) and openssl verify and GnuTLS certtool accept the
# certificates; an unlisted device and a reused row are rejected with
# their reasons; rows with no request are listed in summary.json; the
# manifest's SHA-256 is journaled with the batch; hostile manifests are
# refused whole, with their line, before anything is signed.
. "$(dirname "$0")/../lib.sh"

init_ca acme
H=$AIRCA_HOME
J=$H/journal.jsonl
cat >>"$H/policy.conf" <<'POL'

[profile ines]
kind = device-identity
issuer = root
days = unlimited
CN = supplied, pattern=^dev-[0-9]+$
serialNumber = map=serial, max=32
O = map=org, optional
C = optional, default=CH
san_uri = optional
POL

M=$T/stick/manifest.csv
mkdir -p "$T/stick" "$T/in"
printf '\xef\xbb\xbfdevice,serial,org\r\n' >"$M"
printf 'dev-1,SN-0001,"Acme, Inc."\r\n' >>"$M"
printf 'dev-2,SN-0002,"Quote ""Q"" Ltd"\r\n' >>"$M"
printf 'dev-3,SN-0003,\r\n' >>"$M"
printf '\r\n' >>"$M"
printf 'dev-4,SN-0004,Acme\r\n' >>"$M"
printf 'urn:dev:5,SN-0005,Acme\n' >>"$M"
msha=$(sha256sum "$M" | cut -c1-64)

make_csr d1 "/CN=dev-1"; cp "$T/d1.csr" "$T/in/a-dev1.csr"
make_csr d2 "/CN=dev-2/serialNumber=SN-0002"; cp "$T/d2.csr" "$T/in/b-dev2.csr"
make_csr d2b "/CN=dev-2"; cp "$T/d2b.csr" "$T/in/c-dev2-again.csr"
make_csr d3 "/CN=dev-3/C=DE"; cp "$T/d3.csr" "$T/in/d-dev3.csr"
make_csr d5 "/CN=dev-5" "URI:urn:dev:5"; cp "$T/d5.csr" "$T/in/e-dev5.csr"
make_csr d9 "/CN=dev-9"; cp "$T/d9.csr" "$T/in/f-dev9.csr"
make_csr d6 "/CN=dev-1/serialNumber=SN-9999"; cp "$T/d6.csr" "$T/in/g-forged.csr"

# a profile that maps needs a manifest
expect_fail 2 "profile ines maps subject values from a manifest: give --manifest FILE" \
	airca batch sign --profile ines --in "$T/in" --out "$T/out0"

rc=0
airca batch sign --profile ines --manifest "$M" --in "$T/in" --out "$T/out" >"$T/bout" 2>"$T/berr" || rc=$?
[ "$rc" -eq 3 ] || { cat "$T/bout" "$T/berr"; fail "batch exited $rc, want 3 (some rejected)"; }
grep -q '4 signed, 0 skipped (signed before), 3 rejected, of 7 requests' "$T/bout" || { cat "$T/bout"; fail "batch counts"; }
grep -q '1 manifest row had no request (listed in .*/summary.json)' "$T/bout" || { cat "$T/bout"; fail "unused rows not reported"; }

R=$T/out/rejected.txt
grep -q '^f-dev9.csr: not in the manifest: no row whose device is the request.s CN or one of its subjectAltNames' "$R" ||
	{ cat "$R"; fail "the unlisted device was not rejected with its reason"; }
grep -q '^c-dev2-again.csr: manifest row at line 3 (device dev-2) is used by b-dev2.csr too' "$R" ||
	{ cat "$R"; fail "the reused row was not refused"; }
grep -q "^g-forged.csr: .*serialNumber is 'SN-9999' in the request but 'SN-0001' in the manifest row (map=serial)" "$R" ||
	{ cat "$R"; fail "a request contradicting its row was not refused"; }
[ ! -e "$T/out/dev-9.pem" ] || fail "an unlisted device was signed"

# the mapped subjects, PrintableString serialNumber, the default C, the request's C kept
subj() { openssl x509 -in "$1" -noout -subject -nameopt RFC2253,-esc_msb; }
subj "$T/out/dev-1.pem" | grep -qx 'subject=C=CH,O=Acme\\, Inc.,serialNumber=SN-0001,CN=dev-1' ||
	{ subj "$T/out/dev-1.pem"; fail "dev-1 subject"; }
subj "$T/out/dev-2.pem" | grep -qx 'subject=C=CH,O=Quote \\"Q\\" Ltd,serialNumber=SN-0002,CN=dev-2' ||
	{ subj "$T/out/dev-2.pem"; fail "dev-2 subject (quoted CSV field)"; }
subj "$T/out/dev-3.pem" | grep -qx 'subject=C=DE,serialNumber=SN-0003,CN=dev-3' ||
	{ subj "$T/out/dev-3.pem"; fail "dev-3 subject (empty O cell absent, the request's C kept)"; }
subj "$T/out/dev-5.pem" | grep -qx 'subject=C=CH,O=Acme,serialNumber=SN-0005,CN=dev-5' ||
	{ subj "$T/out/dev-5.pem"; fail "dev-5 subject (row found by its SAN URI)"; }
openssl asn1parse -in "$T/out/dev-1.pem" | grep -A1 ':serialNumber' | grep -q 'PRINTABLESTRING *:SN-0001' ||
	fail "serialNumber is not a PrintableString"

# unlimited: notAfter 99991231235959Z as GeneralizedTime, past the root's own
openssl asn1parse -in "$T/out/dev-1.pem" | grep -q 'GENERALIZEDTIME *:99991231235959Z' || fail "notAfter is not 99991231235959Z"
openssl x509 -in "$T/out/dev-1.pem" -noout -enddate | grep -q 'notAfter=Dec 31 23:59:59 9999 GMT' || fail "enddate"
t=$(cert_text "$T/out/dev-5.pem")
echo "$t" | grep -q 'Extended Key Usage' && fail "a device identity has no extendedKeyUsage"
echo "$t" | grep -A1 'Subject Alternative Name' | grep -q 'URI:urn:dev:5' || fail "dev-5 SAN URI"
for d in dev-1 dev-2 dev-3 dev-5; do
	openssl verify -CAfile "$H/root.pem" "$T/out/$d.pem" >/dev/null || fail "openssl verify $d"
	certtool --verify --load-ca-certificate "$H/root.pem" --infile "$T/out/$d.pem" >"$T/gnutls.out" 2>&1 ||
		{ cat "$T/gnutls.out"; fail "GnuTLS certtool --verify $d"; }
	grep -q 'Chain verification output: Verified' "$T/gnutls.out" || { cat "$T/gnutls.out"; fail "GnuTLS verdict $d"; }
done

# the manifest's hash journaled with the batch, the rows with no request in the summary
grep '"event":"batch-start"' "$J" | grep -q "\"manifest-sha256\":\"$msha\"" || fail "batch-start lacks the manifest SHA-256"
grep '"event":"batch-start"' "$J" | grep -q '"profile":"ines"' || fail "batch-start lacks the profile"
grep '"event":"batch-end"' "$J" | grep -q '"unused-rows":1' || fail "batch-end lacks the unused rows"
grep -q "\"manifest-sha256\": \"$msha\"" "$T/out/summary.json" || fail "summary lacks the manifest SHA-256"
python3 - "$T/out/summary.json" <<'PY' || fail "summary.json unused rows"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["unused-rows"] == [{"line": 6, "key": "dev-4"}], s["unused-rows"]
assert s["signed"] == 4 and s["rejected"] == 3, s
PY
grep '"event":"cert-issued"' "$J" | grep '"cn":"dev-1"' | grep -q '"manifest-line":2' || fail "cert-issued lacks its manifest line"

# a second batch: the rows used are refused by the registry (no renewal)
mkdir "$T/in2"; cp "$T/d2b.csr" "$T/in2/dev2.csr"
rc=0; airca batch sign --profile ines --manifest "$M" --in "$T/in2" --out "$T/out2" >/dev/null 2>&1 || rc=$?
[ "$rc" -eq 3 ] || fail "second batch exited $rc"
grep -q 'duplicate: CN dev-2 was issued before' "$T/out2/rejected.txt" || { cat "$T/out2/rejected.txt"; fail "row reused across batches"; }

# hostile manifests: refused whole, with their line; no batch starts
n=$(grep -c '"event":"batch-start"' "$J")
bad() {	# bad NAME PATTERN: the manifest in $T/stick/NAME is refused with PATTERN
	expect_fail 1 "$2" airca batch sign --profile ines --manifest "$T/stick/$1" --in "$T/in" --out "$T/o-$1"
	[ ! -e "$T/o-$1" ] || fail "$1: an output directory was made"
}
printf 'device,serial,org\ndev-1,SN-1,A\xffB\n' >"$T/stick/utf8.csv"
bad utf8.csv 'utf8.csv:2: a field is not valid UTF-8; nothing is signed against it'
printf 'device,serial,org\ndev-1,SN-1,A,extra\n' >"$T/stick/cols.csv"
bad cols.csv 'cols.csv:2: more than 3 fields'
printf 'device,serial,org\ndev-1,SN-1\n' >"$T/stick/few.csv"
bad few.csv 'few.csv:2: 2 fields, the header names 3 columns'
printf 'device,serial,org\ndev-1,"SN-1,A\n' >"$T/stick/quote.csv"
bad quote.csv 'quote.csv:2: a (line break inside a quoted field|quoted field is not closed)'
printf 'device,serial,org\ndev-1,SN"1,A\n' >"$T/stick/inner.csv"
bad inner.csv 'inner.csv:2: a quote inside an unquoted field'
printf 'device,serial,org\ndev-1,SN-1,A\ndev-2,SN-2,B\ndev-1,SN-3,C\n' >"$T/stick/dup.csv"
bad dup.csv "dup.csv:4: key 'dev-1' given twice \(also at line 2\)"
printf 'device,serial,device\ndev-1,SN-1,A\n' >"$T/stick/dupcol.csv"
bad dupcol.csv "dupcol.csv:1: column 'device' given twice"
printf 'device,serial\ndev-1,SN-1\n' >"$T/stick/nocol.csv"
bad nocol.csv "manifest .*nocol.csv has no column 'org', which profile ines maps into O"
printf 'device,serial,org\ndev-1,SN-1,A\x01\n' >"$T/stick/ctl.csv"
bad ctl.csv 'ctl.csv:2: a field holds control or invisible characters'
printf 'device,serial,org\n,SN-1,A\n' >"$T/stick/nokey.csv"
bad nokey.csv "nokey.csv:2: the key \(column 'device'\) is empty"
truncate -s 40M "$T/stick/big.csv"
bad big.csv 'big.csv.*(larger|too large|bytes)'
ln -s "$M" "$T/stick/link.csv"
expect_fail 1 "is a symbolic link; airca reads only the real file" airca batch sign --profile ines --manifest "$T/stick/link.csv" --in "$T/in" --out "$T/o-link"
[ "$(grep -c '"event":"batch-start"' "$J")" -eq "$n" ] || fail "a batch started against a refused manifest"
airca_nopin journal verify >/dev/null || fail "journal does not verify"
echo "templates-manifest ok"
