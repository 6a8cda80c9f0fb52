#!/usr/bin/env bash
# batch.sh: device certificates per second, side by side, with one SoftHSM
# token key: airca batch sign end to end; the raw in-process limit (build
# and sign in memory, nothing checked or written); one openssl x509 -req
# (pkcs11 engine) process per CSR; one gnutls certtool per CSR; and airca's
# peak RSS at 10,000 and 100,000 requests (and 1,000,000 with BENCH_LONG=1),
# with the batch's own share of it apart from the registry's (batch-mem.c:
# the same directory opened and scanned, nothing signed).
# Prints figures; never fails.
#   N=10000 BIG=100000 SMALL=200 ROUNDS=3 tests/bench/batch.sh
# BIG=0 skips the 100,000 run (about 2 minutes and 1 GB of files);
# BENCH_LONG=1 adds a run of HUGE=1000000 requests (files on disk, in
# TMPDIR: tens of minutes and about 12 GB).  Prints "summary:" lines that
# tests/bench/run.sh repeats side by side.
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
: "${AIRCA_BUILD:=build}"
: "${N:=10000}"
: "${BIG:=100000}"
: "${SMALL:=200}"
: "${BENCH_LONG:=0}"
: "${HUGE:=1000000}"
B="$TOP/$AIRCA_BUILD"
# tmpfs when there is one: the file system's inode allocator is not what is measured
: "${BENCH_TMP:=$([ -d /dev/shm ] && [ -w /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")}"
T=$(mktemp -d "$BENCH_TMP/airca-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT
export LC_ALL=C
say() { echo "batch bench: $*"; }

PKGS="jansson libp11 libqrencode inih p11-kit-1 libgfshare"
mkdir -p "$B/bench"
if ! make -C "$TOP" --no-print-directory -s BUILD="$AIRCA_BUILD" "$AIRCA_BUILD/airca" \
	"$AIRCA_BUILD/libairca.a" >/dev/null ||
   ! ${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -o "$B/bench/gen-csrs" "$TOP/tests/bench/gen-csrs.c" -lcrypto ||
   ! ${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -I"$TOP/src" $(pkg-config --cflags $PKGS) \
	-o "$B/bench/raw-sign" "$TOP/tests/bench/raw-sign.c" "$B/libairca.a" \
	$(pkg-config --libs $PKGS) -lcrypto -lpthread ||
   ! ${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -I"$TOP/src" $(pkg-config --cflags $PKGS) \
	-o "$B/bench/batch-mem" "$TOP/tests/bench/batch-mem.c" "$B/libairca.a" \
	$(pkg-config --libs $PKGS) -lcrypto -lpthread; then
	say "cannot build the harnesses; skipped"
	exit 0
fi

# setup_ca DIR: a fresh SoftHSM token and CA home (root, device CA dca1) under DIR
A() { "$B/airca" --pin-env TEST_PIN "$@"; }
setup_ca() {
	export SOFTHSM2_CONF="$1/softhsm2.conf" AIRCA_HOME="$1/home"
	mkdir -p "$1/tokens"
	printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' \
		"$1/tokens" > "$SOFTHSM2_CONF"
	softhsm2-util --init-token --free --label airca --so-pin 5678-so --pin "$TEST_PIN" >/dev/null &&
	A init --factory acme >/dev/null 2>&1 && A device-ca create --user-id u1 --label dca1 >/dev/null 2>&1
}
export AIRCA_HSM=softhsm2 AIRCA_PROFILES="$TOP/hsm-profiles" TEST_PIN=1234-bench-pin
setup_ca "$T/ca1" || { say "cannot set up a CA; skipped"; exit 0; }
dca=$(sed -n 's/.*"serial":"\([0-9a-f]*\)","profile":"device-ca".*/\1/p' "$AIRCA_HOME/registry.jsonl")
cp "$AIRCA_HOME/certs/$dca.pem" "$T/dca.pem"

now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { d = b - a; if (d <= 0) d = 1e-9; printf "%.0f", n / d }'; }
# run_batch NAME N: airca batch sign on N fresh requests; sets RATE and RSS
# (KiB), and BATCHMEM: the batch's own peak (names, duplicate sets, one
# request at a time; no registry growth) over the CA's RSS, from batch-mem
run_batch() {
	local in="$T/in-$1" out="$T/out-$1" t0 t1 m
	mkdir -p "$in"
	"$B/bench/gen-csrs" "$in" "$2" acme
	m=$("$B/bench/batch-mem" dca1 "$in" 2>"$T/mem-$1")
	# shellcheck disable=SC2086
	set -- "$1" "$2" $m
	BATCHMEM=$(awk -v a="${6:-0}" -v b="${3:-0}" 'BEGIN { printf "%.1f MiB over %.1f MiB", (a - b) / 1024, b / 1024 }')
	[ $# -eq 7 ] || BATCHMEM="(batch-mem failed: $(tail -1 "$T/mem-$1"))"
	t0=$(now)
	/usr/bin/time -f '%M' -o "$T/rss-$1" "$B/airca" --pin-env TEST_PIN batch sign \
		--ca dca1 --in "$in" --out "$out" >/dev/null 2>"$T/err-$1" || say "$1: airca exited $? ($(tail -1 "$T/err-$1"))"
	t1=$(now)
	RATE=$(rate "$2" "$t0" "$t1")
	RSS=$(tail -1 "$T/rss-$1")
	rm -rf "$in" "$out"
}

say "N=$N on $(nproc) cores, files in $BENCH_TMP"
run_batch n "$N"; airca_rss=$RSS mem_n=$BATCHMEM

mkdir -p "$T/one"; "$B/bench/gen-csrs" "$T/one" 1 acme
raw=$("$B/bench/raw-sign" dca1 "$T/one/dev-0000000.csr" "$N" 2>/dev/null)
raw_bare=$(echo "$raw" | sed -n 's/^bare //p'); raw_issue=$(echo "$raw" | sed -n 's/^issue //p')

# airca against the raw loop: ROUNDS rounds, each the raw loop then airca
# on a fresh CA and token with the same requests, back to back.  This
# machine's speed drifts by tens of percent from one minute to the next
# (other tenants): a ratio of two runs minutes apart measures the drift,
# the median of back-to-back pairs measures airca.
: "${ROUNDS:=3}"
mkdir -p "$T/req"; "$B/bench/gen-csrs" "$T/req" "$N" acme
pairs="" raws="" rates="" ratios=""
for k in $(seq 1 "$ROUNDS"); do
	setup_ca "$T/round$k" || { say "round $k: cannot set up a CA"; continue; }
	rr=$("$B/bench/raw-sign" --provider dca1 "$T/one/dev-0000000.csr" "$N" 2>/dev/null | sed -n 's/^provider //p')
	t0=$(now)
	"$B/airca" --pin-env TEST_PIN batch sign --ca dca1 --in "$T/req" --out "$T/out-round$k" \
		>/dev/null 2>"$T/err-round$k" || say "round $k: airca exited $? ($(tail -1 "$T/err-round$k"))"
	t1=$(now)
	ar=$(rate "$N" "$t0" "$t1")
	rm -rf "$T/out-round$k" "$T/round$k"
	[ -n "$rr" ] || continue
	raws="$raws $rr" rates="$rates $ar"
	ratios="$ratios $(awk -v a="$ar" -v b="$rr" 'BEGIN { printf "%.3f", a / b }')"
	pairs="$pairs $ar/$rr"
done
# the first CA again, for the one-process-per-CSR loops
export SOFTHSM2_CONF="$T/ca1/softhsm2.conf" AIRCA_HOME="$T/ca1/home"
median() { echo "$@" | tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
raw_prov=$(median $raws); airca_rate=$(median $rates); ratio=$(median $ratios)

# one process per CSR, on SMALL requests
mkdir -p "$T/small" "$T/ossl" "$T/gtls"
"$B/bench/gen-csrs" "$T/small" "$SMALL" acme
uri="pkcs11:token=airca;object=dca1;type=private"
t0=$(now); ok=0
for f in "$T"/small/*.csr; do
	openssl x509 -req -engine pkcs11 -CAkeyform engine -CAkey "$uri;pin-value=$TEST_PIN" \
		-CA "$T/dca.pem" -in "$f" -out "$T/ossl/$(basename "$f").pem" -days 365 \
		-set_serial "0x$(openssl rand -hex 15)" >/dev/null 2>&1 && ok=$((ok + 1))
done
t1=$(now); ossl_rate=$(rate "$ok" "$t0" "$t1"); ossl_ok=$ok
printf 'expiration_days = 365\ntls_www_client\nsigning_key\n' > "$T/tmpl"
t0=$(now); ok=0
for f in "$T"/small/*.csr; do
	GNUTLS_PIN=$TEST_PIN certtool --generate-certificate --load-request "$f" \
		--load-ca-certificate "$T/dca.pem" --load-ca-privkey "$uri" --template "$T/tmpl" \
		--outfile "$T/gtls/$(basename "$f").pem" >/dev/null 2>&1 && ok=$((ok + 1))
done
t1=$(now); gtls_rate=$(rate "$ok" "$t0" "$t1"); gtls_ok=$ok

rss_big="(skipped: BIG=0)" mem_big="(skipped)"
if [ "$N" -ne 10000 ]; then setup_ca "$T/ca3" && run_batch r10k 10000; rss_10k=$RSS; else rss_10k=$airca_rss; fi
# the big run on a fresh home, as a factory's first batch would be
if [ "$BIG" -gt 0 ]; then
	if setup_ca "$T/ca2"; then run_batch big "$BIG"; rss_big="$((RSS / 1024)) MiB ($RATE/s)"; mem_big=$BATCHMEM
	else rss_big="(no second CA)"; fi
fi

pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "-" }'; }
echo
printf '%-58s %10s\n' "device certificates, EC P-256 device CA on SoftHSM" "certs/s"
printf '%-58s %10s\n' "airca batch sign, end to end ($N; median of $ROUNDS)" "$airca_rate"
printf '%-58s %10s\n' "raw: build + X509_sign in memory, same token key (median)" "$raw_prov"
printf '%-58s %10s\n' "raw: the same, request key held as airca holds it" "$raw_bare"
printf '%-58s %10s\n' "raw: airca issue_cert() (build, lint, sign, verify)" "$raw_issue"
printf '%-58s %10s\n' "openssl x509 -req -engine pkcs11, one per CSR ($ossl_ok/$SMALL)" "$ossl_rate"
printf '%-58s %10s\n' "gnutls certtool, one per CSR ($gtls_ok/$SMALL)" "$gtls_rate"
echo
echo "airca / raw build+sign, back-to-back pairs (airca/raw certs/s):$pairs"
echo "airca / raw build+sign: $(awk -v r="$ratio" 'BEGIN { printf "%.0f%%", 100 * r }') (median of $ROUNDS pairs; target 100%); / raw with airca's key form: $(pct "$airca_rate" "$raw_bare"); / issue_cert: $(pct "$airca_rate" "$raw_issue")"
echo "airca / openssl loop: $(awk -v a="$airca_rate" -v b="$ossl_rate" 'BEGIN { if (b > 0) printf "%.0fx", a / b; else print "-" }')"
echo "airca peak RSS: 10,000 requests $((rss_10k / 1024)) MiB; $BIG requests $rss_big"
echo "the batch's own share (batch-mem: open and scan, no registry growth): $N requests $mem_n; $BIG requests $mem_big"
echo "summary: SoftHSM, raw single-thread build+sign: $raw_prov certs/s; airca end to end ($N): $airca_rate certs/s (medians of $ROUNDS back-to-back pairs:$pairs); airca / raw: $(awk -v r="$ratio" 'BEGIN { printf "%.0f%%", 100 * r }') (median of the pairs' ratios; target 100%)"
echo "summary: peak RSS: $((rss_10k / 1024)) MiB at 10,000 requests; $rss_big at $BIG (target < 32 MiB)"
if [ "$BENCH_LONG" = 1 ]; then
	# a million files do not fit in tmpfs beside everything else: on disk
	T0=$T
	T=$(mktemp -d "${TMPDIR:-/tmp}/airca-bench-long.XXXXXX")
	trap 'rm -rf "$T0" "$T"' EXIT
	if setup_ca "$T/ca4"; then run_batch huge "$HUGE"; rss_huge="$((RSS / 1024)) MiB ($RATE/s)"
	else rss_huge="(no CA)" BATCHMEM="(no CA)"; fi
	echo "airca peak RSS: $HUGE requests $rss_huge"
	echo "summary: the batch's own share at $HUGE requests: $BATCHMEM"
	echo "summary: peak RSS: $rss_huge at $HUGE requests (target < 32 MiB)"
fi
exit 0
