# tests/faults/lib.sh: inject one fault into one syscall of one airca command
# on a copy of a prepared SoftHSM home, then check the invariants.  Sourced by
# tests/faults/run.sh; needs strace (-e inject=, strace >= 4.16).
#
# A case is CMD SYSCALL FAULT N: the Nth call of SYSCALL (counted by strace
# per thread) fails with FAULT (ENOSPC, EIO) or, with FAULT KILL, the process
# is killed with SIGKILL on entry to it.  fault_case prints one line
#	CMD SYSCALL FAULT N RESULT WHERE DETAIL
# RESULT: ok, FAIL (an invariant broke: DETAIL says which), unreached (the
# command made fewer than N such calls: the sweep ends).  WHERE is what the
# faulted call touched: home, out, in, token, std (stdout/stderr), other.
set -u

# the first commands swept, and the newer ones (tests/faults/README.md)
FAULT_CMDS_FIRST="init api-sign revoke seal batch"
FAULT_CMDS="$FAULT_CMDS_FIRST init-backup init-pin backup restore
custody-check ca-create keygen manifest renew device-cas crl disable enable"
FAULT_SYSCALLS="write fsync fdatasync rename renameat2 openat"
# and these for some commands only (CMD:SYSCALL): batch sign reserves its
# scratch files (sorted names, duplicate sets) in the home with fallocate
FAULT_CMD_SYSCALLS="batch:fallocate manifest:fallocate"
FAULT_KINDS="ENOSPC EIO KILL"
# run.sh --sample (in make test): every case of the first commands' sample,
# and these of the newer ones (CMD:SYSCALL:first|mid|last:FAULT)
FAULT_SAMPLE_CMDS="$FAULT_CMDS_FIRST keygen backup renew"
FAULT_SAMPLE_SPECS="keygen:renameat2:mid:KILL keygen:fdatasync:last:ENOSPC
backup:write:mid:EIO backup:renameat2:last:KILL renew:fsync:mid:ENOSPC renew:openat:last:KILL"

: "${AIRCA_BUILD:=build}"
FTOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
AIRCA_BIN="$FTOP/$AIRCA_BUILD/airca"
export AIRCA_PROFILES="$FTOP/hsm-profiles"
export AIRCA_HSM=softhsm2
export TEST_PIN=1234-test-pin TEST_SO_PIN=5678-so-pin
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=86}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$FTOP/tests/lsan.supp:print_suppressions=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:exitcode=87}"

# fault_syscalls CMD SYSCALL...: the syscalls swept for CMD: those given,
# and CMD's own of FAULT_CMD_SYSCALLS when the given are the default list
fault_syscalls() {
	local c=$1 sp
	shift
	echo "$@"
	[ "$*" = "$(echo $FAULT_SYSCALLS)" ] || return 0
	for sp in $FAULT_CMD_SYSCALLS; do
		case $sp in "$c":*) echo "${sp#*:}" ;; esac
	done
}

# fault_env DIR: SoftHSM and home of the copy in DIR
fault_env() {
	printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' \
		"$1" > "$1/softhsm2.conf"
	export SOFTHSM2_CONF="$1/softhsm2.conf" AIRCA_HOME="$1/home"
}

# the system python (a pyenv shim costs seconds a call)
FPY=/usr/bin/python3
[ -x "$FPY" ] || FPY=python3

fairca() { "$AIRCA_BIN" --pin-env TEST_PIN "$@"; }

# fault_prepare FT [CMD...]: the prepared states, one per command, in
# FT/golden/CMD (only those of the commands named; all without any)
fault_prepare() {
	local ft=$1 g c cmds
	shift
	cmds=${*:-$FAULT_CMDS}
	g=$ft/golden/base
	mkdir -p "$g/tokens"
	fault_env "$g"
	softhsm2-util --init-token --free --label airca --so-pin "$TEST_SO_PIN" \
		--pin "$TEST_PIN" >/dev/null
	# init: a fresh token and no home
	mkdir -p "$ft/golden/init"
	cp -a "$g/tokens" "$ft/golden/init/"
	for c in init-backup init-pin; do
		mkdir -p "$ft/golden/$c" && cp -a "$g/tokens" "$ft/golden/$c/"
	done
	local base=0 custody=0
	for c in $cmds; do
		case $c in
		init|init-backup|init-pin) ;;
		backup|restore|custody-check) custody=1 ;;
		*) base=1 ;;
		esac
	done
	[ $custody -eq 0 ] || fault_prepare_custody "$ft" || return 1
	# shellcheck disable=SC2086
	[ $base -eq 0 ] || fault_prepare_base "$ft" $cmds || return 1
	return 0
}

# the prepared home with two device CAs, requests and one state per command
fault_prepare_base() {
	local ft=$1 g=$1/golden/base c s
	shift
	fault_env "$g"
	fairca init --factory acme >/dev/null 2>"$ft/prep.err" || { cat "$ft/prep.err"; return 1; }
	fairca device-ca create --user-id u1 --label dca1 >/dev/null 2>>"$ft/prep.err" || return 1
	mkdir -p "$g/in" "$g/req"
	"$FTOP/$AIRCA_BUILD/tests/gen-csrs" "$g/in" "${FAULT_BATCH_N:-12}" acme >/dev/null
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$g/req/tls.key" -subj "/CN=ota-lite.acme.example/OU=acme" \
		-addext "subjectAltName=DNS:ota-lite.acme.example" -out "$g/req/tls.csr" 2>/dev/null
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$g/req/ca.key" -subj "/CN=online-ca/OU=acme" -out "$g/req/ca.csr" 2>/dev/null
	"$FPY" - "$g/req/tls.csr" "$g/req/ca.csr" "$g/req/resp.json" <<'PY'
import json, sys
json.dump({"tls-csr": open(sys.argv[1]).read(), "ca-csr": open(sys.argv[2]).read(),
           "create_ca": "#!/bin/sh ..."}, open(sys.argv[3], "w"))
PY
	# the profiles of ca create, keygen and the manifest batch
	cat >>"$g/home/policy.conf" <<'POL'

[profile inter]
kind = intermediate-ca
days = 3650
CN = supplied
O = fixed=Acme

[profile host]
kind = server-client
days = 365
keygen = allowed
CN = supplied, pattern=^host-[0-9a-f]{16}$
O = fixed=Acme

[profile ines]
kind = device-identity
issuer = root
days = 3650
CN = supplied, pattern=^dev-[0-9]+$
serialNumber = map=serial, max=32
POL
	# (journaled by the next command: not by every faulted one)
	fairca device-ca create --user-id u2 --label dca2 >/dev/null 2>>"$ft/prep.err" || return 1
	# the label of the second device CA's serial, whatever the field order
	"$FPY" - "$g/home/journal.jsonl" > "$g/dca2.serial" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["event"] == "cert-issued" and e["data"].get("label", "").endswith("dca2"):
        print(e["data"]["serial"])
PY
	[ -s "$g/dca2.serial" ] || { echo "no serial for dca2" >&2; return 1; }
	mkdir -p "$g/inm"
	printf 'device,serial\n' > "$g/req/manifest.csv"
	for s in 1 2 3 4 5 6; do
		printf 'dev-%s,SN-000%s\n' "$s" "$s" >> "$g/req/manifest.csv"
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
			-keyout /dev/null -subj "/CN=dev-$s" -out "$g/inm/dev-$s.csr" 2>/dev/null
	done
	for c in "$@"; do
		case $c in init|init-backup|init-pin|backup|restore|custody-check) continue ;; esac
		mkdir -p "$ft/golden/$c"
		cp -a "$g/tokens" "$g/home" "$g/in" "$g/inm" "$g/req" "$g/dca2.serial" "$ft/golden/$c/"
	done
	# keygen: the passwords' directories (another stick)
	for c in "$@"; do
		[ "$c" = keygen ] && mkdir -p "$ft/golden/$c/out-pw" "$ft/golden/$c/retry-pw"
	done
	# renew: a home whose root went to the factory API (upload.json)
	case " $* " in *" renew "*)
		fault_env "$ft/golden/renew"
		fairca api sign --first-time --in "$ft/golden/renew/req/resp.json" \
			--out "$ft/golden/renew/req/api" >/dev/null 2>>"$ft/prep.err" ||
			{ cat "$ft/prep.err"; return 1; } ;;
	esac
	# enable: a device CA on hold
	case " $* " in *" enable "*)
		fault_env "$ft/golden/enable"
		fairca device-ca disable --serial "$(cat "$g/dca2.serial")" \
			--out "$ft/golden/enable/req/held" >/dev/null 2>>"$ft/prep.err" ||
			{ cat "$ft/prep.err"; return 1; } ;;
	esac
	fault_env "$g"
	return 0
}

# a K-of-N custody home (2-of-3) with a device CA, its shares and a backup
# bundle under req/, and a second, fresh token for restore
fault_prepare_custody() {
	local ft=$1 g=$1/golden/custody c
	mkdir -p "$g/req"
	cp -a "$ft/golden/init/tokens" "$g/"
	fault_env "$g"
	fairca --so-pin-env TEST_SO_PIN init --factory acme --backup 2-of-3 --custodian alice \
		--custodian bob --custodian carol --shares-to "$g/req/shares" >/dev/null 2>"$ft/prep.err" ||
		{ cat "$ft/prep.err"; return 1; }
	fairca device-ca create --user-id u1 --label dca1 >/dev/null 2>>"$ft/prep.err" || return 1
	fairca backup --out "$g/req/bundle" >/dev/null 2>>"$ft/prep.err" || { cat "$ft/prep.err"; return 1; }
	sed 's/^label = airca$/label = airca2/' "$FTOP/hsm-profiles/softhsm2.conf" > "$g/req/new.conf"
	for c in backup restore custody-check; do
		mkdir -p "$ft/golden/$c"
		cp -a "$g/tokens" "$g/home" "$g/req" "$ft/golden/$c/"
	done
	fault_env "$ft/golden/restore"
	softhsm2-util --init-token --free --label airca2 --so-pin "$TEST_SO_PIN" \
		--pin "$TEST_PIN" >/dev/null
	fault_env "$g"
}

# fault_args CMD DIR OUT: the command line of CMD for the copy in DIR
fault_args() {
	case $1 in
	init)    echo "init --factory acme" ;;
	init-backup) echo "--so-pin-env TEST_SO_PIN init --factory acme --backup 2-of-3" \
		"--custodian alice --custodian bob --custodian carol --shares-to $3" ;;
	init-pin) echo "init --factory acme --pin-shares 2-of-3 --pin-custodian xavier" \
		"--pin-custodian yvonne --pin-custodian zoe --shares-to $3" ;;
	api-sign) echo "api sign --in $2/req/resp.json --out $3" ;;
	revoke)  echo "device-ca revoke --serial $(cat "$2/dca2.serial") --out $3" ;;
	disable) echo "device-ca disable --serial $(cat "$2/dca2.serial") --out $3" ;;
	enable)  echo "device-ca enable --serial $(cat "$2/dca2.serial") --out $3" ;;
	seal)    echo "journal seal" ;;
	batch)   echo "batch sign --ca dca1 --in $2/in --out $3" ;;
	manifest) echo "batch sign --profile ines --manifest $2/req/manifest.csv --in $2/inm --out $3" ;;
	backup)  echo "backup --out $3" ;;
	restore) echo "--so-pin-env TEST_SO_PIN --hsm $2/req/new.conf restore --from $2/req/bundle" \
		"--share-file $2/req/shares/share-3.txt --share-file $2/req/shares/share-1.txt" ;;
	custody-check) echo "custody check --share-file $2/req/shares/share-2.txt" ;;
	ca-create) echo "ca create --profile inter --label ica1" ;;
	keygen)  echo "keygen --profile host --count 3 --out $3 --passwords $3-pw/passwords.csv" ;;
	renew)   echo "renew --expiring 36500 --profile tls --out $3" ;;
	device-cas) echo "api device-cas --out $3" ;;
	crl)     echo "crl --ca dca1 --out $3.crl.pem" ;;
	esac
}

# what CMD writes outside the home: bundle (a directory with SHA256SUMS,
# or nothing after an error), batch (certificates kept, resumable), shares
# (share files), keygen (keystores and their passwords), file (one file),
# none
fault_outkind() {
	case $1 in
	batch|manifest) echo batch ;;
	init-backup|init-pin) echo shares ;;
	keygen) echo keygen ;;
	crl) echo file ;;
	init|seal|restore|custody-check|ca-create) echo none ;;
	*) echo bundle ;;
	esac
}

# where a faulted call went, from its strace line: home out in token std other
fault_where() {
	local d=$1 line=$2
	case $line in
	*"($d/home/"*|*"<$d/home/"*|*"<$d/home>"*|*"\"$d/home"*) echo home ;;
	*"<$d/out"*|*"\"$d/out"*|*"<$d/retry"*|*"\"$d/retry"*) echo out ;;
	*"<$d/tokens"*|*"\"$d/tokens"*) echo token ;;
	*"<$d/in"*|*"\"$d/in"*|*"<$d/req"*|*"\"$d/req"*) echo in ;;
	*"write(1<"*|*"write(2<"*|*"write(1,"*|*"write(2,"*) echo std ;;
	*) echo other ;;
	esac
}

# the file a faulted call touched (basename), from its strace line, or "-"
fault_target() {
	local t
	case $1 in
	*" rename("*|*" renameat("*|*" renameat2("*|*" openat("*|*" open("*)
		# the name given (the last quoted one: rename's new name)
		t=$(printf '%s\n' "$1" | grep -o '"[^"]*"' | tail -1 | tr -d '"') ;;
	*)	t=$(printf '%s\n' "$1" | sed -n 's/^[0-9]* *[a-z0-9_]*([0-9]*<\([^>]*\)>.*/\1/p' | head -1) ;;
	esac
	[ -n "$t" ] || { echo -; return; }
	t=${t##*/}
	# temp names carry a pid and a random suffix: .airca-tmp.PID.NAME.XXXXXX -> tmp:NAME
	case $t in
	.airca-tmp.*) t=${t#.airca-tmp.}; t=${t#*.}; t="tmp:${t%.*}" ;;
	esac
	case $t in
	*[0-9a-f]-*-*-*.pem|*[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]*.pem)
		t="${t%%:*}"; [ "$t" = "${t%.pem}" ] && t="tmp:CERT.pem" || t="CERT.pem" ;;
	esac
	echo "$t"
}

# is rc a crash (sanitizer, signal other than the injected KILL)?
fault_crashed() {
	local rc=$1 err=$2
	case $rc in 86|87|134|136|139) return 0 ;; esac
	grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$err" 2>/dev/null
}

# output DIR after a faulted run: complete files with correct sums, or none
# of that run; after a kill, files without SHA256SUMS (an incomplete bundle)
# must each be complete.  Prints what is wrong; empty if fine.
fault_check_out() {
	local out=$1 fault=$2 cmd=$3 f vis kind
	kind=$(fault_outkind "$cmd")
	case $kind in
	keygen) fault_check_keygen "$out"; return 0 ;;
	file) fault_check_file "$out"; return 0 ;;
	esac
	[ -d "$out" ] || return 0
	vis=$(find "$out" -maxdepth 1 -type f ! -name '.*' -printf '%f\n' | sort)
	[ -n "$vis" ] || return 0
	if [ -f "$out/SHA256SUMS" ]; then
		(cd "$out" && sha256sum -c --quiet --strict SHA256SUMS >/dev/null 2>&1) ||
			{ echo "SHA256SUMS does not check"; return 0; }
		for f in $vis; do
			[ "$f" = SHA256SUMS ] && continue
			grep -q "  $f\$" "$out/SHA256SUMS" || echo "$f not in SHA256SUMS"
		done
		return 0
	fi
	# a batch keeps what it signed (resumable, journaled: SHA256SUMS marks
	# it complete); a bundle (api sign, revoke) keeps nothing after an error
	if [ "$fault" != KILL ] && [ "$kind" = bundle ]; then
		echo "files without SHA256SUMS after an error: $(echo $vis | head -c 200)"
		return 0
	fi
	# each file complete: PEM files end on their END line, JSON parses
	# (one process for all: a batch leaves many)
	(cd "$out" && find . -maxdepth 1 -type f \( -name '*.pem' -o -name '*.json' -o -name '*share-*.txt' \) -empty -printf '%f is empty\n')
	# share files: the heading and four lines, the last line 4
	[ "$kind" != shares ] || (cd "$out" && for f in $vis; do
		case $f in *share-*.txt) ;; *) continue ;; esac
		[ "$(head -1 "$f" | cut -c1-6)" = "airca " ] && [ "$(wc -l < "$f")" -eq 5 ] &&
			grep -qE '^4: ([A-Z2-7]{4} ){4} [A-Z2-7]{2}$' "$f" || echo "$f is not a complete share"
	done)
	local pems jsons
	pems=$(printf '%s\n' $vis | grep '\.pem$')
	jsons=$(printf '%s\n' $vis | grep '\.json$')
	# shellcheck disable=SC2086
	[ -z "$pems" ] || (cd "$out" && awk '{ last[FILENAME] = $0 }
	    END { for (f in last) if (f ~ /\.pem$/ && last[f] !~ /^-----END [A-Z0-9 ]+-----$/)
		print f " is not a complete PEM file" }' $pems </dev/null)
	# shellcheck disable=SC2086
	[ -z "$jsons" ] || (cd "$out" && "$FPY" -c 'import json, sys
for f in sys.argv[1:]:
    try:
        json.load(open(f))
    except Exception:
        print(f + " is not complete JSON")' $jsons)
	return 0
}

# keygen's keystores in OUT: each has its password in OUT-pw/passwords.csv
# (the other stick) and opens with it; prints what is wrong
fault_check_keygen() {
	local out=$1 f pw
	[ -d "$out" ] || return 0
	for f in "$out"/*.p12; do
		[ -e "$f" ] || continue
		pw=$(grep -s "^${f##*/}," "$out-pw/passwords.csv" | head -1 | cut -d, -f2)
		if [ -z "$pw" ]; then
			echo "[keystore] ${f##*/} has no password in passwords.csv: lost"
		elif ! openssl pkcs12 -in "$f" -passin "pass:$pw" -noout 2>/dev/null; then
			echo "[keystore] ${f##*/} does not open with its password"
		fi
	done
}

# one output file (crl): absent, or a whole PEM CRL
fault_check_file() {
	local f=$1.crl.pem
	[ -e "$f" ] || return 0
	openssl crl -in "$f" -noout 2>/dev/null || echo "${f##*/} is not a complete CRL"
}

# serials or (profile, CN) issued twice, in the journal of the copy
fault_dups() {
	"$FPY" - "$1" <<'PY'
import json, sys
ser, cn, issued, gone = {}, {}, [], set()
for l in open(sys.argv[1], errors="replace"):
    try:
        e = json.loads(l)
    except ValueError:
        continue
    d = e.get("data") or {}
    if e.get("event") == "cert-status" and d.get("superseded-by"):
        gone.add(d.get("serial"))
    if e.get("event") != "cert-issued":
        continue
    ser[d.get("serial")] = ser.get(d.get("serial"), 0) + 1
    issued.append(d)
# (a renewed or rotated certificate supersedes the one of the same CN)
for d in issued:
    if "cn" in d and d.get("profile") != "root" and d.get("serial") not in gone:
        k = (d.get("profile"), d["cn"])
        cn[k] = cn.get(k, 0) + 1
bad = ["serial %s x%d" % (s, n) for s, n in ser.items() if n > 1]
bad += ["%s CN %s x%d" % (k[0], k[1], n) for k, n in cn.items() if n > 1]
print("; ".join(bad))
PY
}

# verify the journal of the copy: prints "" when it passes, else the problem;
# returns 1 on a crash
fault_verify() {
	local d=$1 rc=0
	[ -f "$d/home/journal.jsonl" ] || return 0
	fairca journal verify >"$d/verify.out" 2>"$d/verify.err" || rc=$?
	if fault_crashed $rc "$d/verify.err"; then
		echo "journal verify crashed (exit $rc): $(grep -m1 -E 'Sanitizer|runtime error' "$d/verify.err")"
		return 1
	fi
	if [ $rc -ne 0 ]; then
		[ -s "$d/verify.err" ] || { echo "journal verify exit $rc without a message"; return 1; }
		echo "verify exit $rc: $(head -c 160 "$d/verify.err" | tr '\n' ' ')"
	fi
	return 0
}

# fault_done CMD DIR: the faulted run made its change before it failed (the
# journal says so) and the retry is refused for that reason, as it must be
fault_done() {
	local j=$2/home/journal.jsonl
	case $1 in
	ca-create) grep -q "label 'ica1' is taken" "$2/retry.err" &&
		grep '"event":"cert-issued"' "$j" | grep -q '"label":"ica1"' ;;
	restore) grep -q "holds a custody key or a root already" "$2/retry.err" &&
		grep -q '"event":"custody-restored"' "$j" ;;
	*) return 1 ;;
	esac
}

# fault_case FT CMD SYSCALL FAULT N: run one case; print its line; return 0
# ok, 1 FAIL, 2 unreached
fault_case() {
	local ft=$1 cmd=$2 sys=$3 fault=$4 n=$5
	local d="$ft/case.$cmd.$sys.$fault.$n" inj rc=0 line where bad="" v msg
	local errtext args rargs target rout
	rm -rf "$d"
	cp -a "$ft/golden/$cmd" "$d"
	fault_env "$d"
	if [ "$fault" = KILL ]; then inj="$sys:signal=KILL:when=$n"
	else inj="$sys:error=$fault:when=$n"; fi
	args=$(fault_args "$cmd" "$d" "$d/out")
	# shellcheck disable=SC2086
	# (in a subshell: the shell's "Killed" notice is not ours to print)
	# (LeakSanitizer cannot stop the world in a process strace traces: no
	# leak check in the faulted run; the retry and verify keep theirs)
	( ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" strace -f -y -qq -o "$d/strace.log" \
		-e trace="$sys" -e inject="$inj" \
		"$AIRCA_BIN" --pin-env TEST_PIN $args >"$d/run.out" 2>"$d/run.err"; exit $? ) 2>/dev/null || rc=$?
	if [ "$fault" = KILL ]; then
		line=$(grep -m1 -B1 'killed by SIGKILL' "$d/strace.log" | head -1)
		grep -q 'killed by SIGKILL' "$d/strace.log" || line=""
	else
		line=$(grep -m1 'INJECTED' "$d/strace.log")
	fi
	if [ -z "$line" ]; then
		printf '%s %s %s %s unreached - exit %s\n' "$cmd" "$sys" "$fault" "$n" "$rc"
		[ -n "${FAULT_KEEP:-}" ] || rm -rf "$d"
		return 2
	fi
	where=$(fault_where "$d" "$line")
	target=$(fault_target "$line")
	case $fault in
	ENOSPC) errtext="No space left on device" ;;
	EIO) errtext="Input/output error" ;;
	*) errtext="" ;;
	esac
	# 1. the run itself: no crash; failed, and said why
	if fault_crashed $rc "$d/run.err"; then
		bad="$bad; [crash] crashed (exit $rc): $(grep -m1 -E 'Sanitizer|runtime error|SUMMARY' "$d/run.err" | head -c 120)"
	elif [ "$fault" = KILL ]; then
		[ $rc -eq 137 ] || bad="$bad; [exit] exit $rc after SIGKILL"
	elif [ $rc -eq 0 ]; then
		case $where in
		std|other|in) ;;	# a failed warning line, a retried read: no harm
		token) bad="" ;;	# SoftHSM's own storage (see the summary notes)
		*) bad="$bad; [exit0] exit 0 although $sys on $where failed ($fault)" ;;
		esac
	elif grep -qE '^[0-9]+ +write\(2[<,].*INJECTED' "$d/strace.log"; then
		:	# when=N counts per thread: another thread's Nth write was the message
	elif [ "$where" = home ] || [ "$where" = out ]; then
		grep -q "$errtext" "$d/run.err" ||
			bad="$bad; [message] exit $rc but the message lacks \"$errtext\": $(tail -1 "$d/run.err" | head -c 160)"
	elif [ "$where" = token ]; then
		[ -s "$d/run.err" ] || bad="$bad; [message] exit $rc without a message"
	fi
	# 2. no temp file left by an error (a kill leaves them for the next run)
	if [ "$fault" != KILL ] && [ $rc -ne 0 ]; then
		v=$(find "$d/home" "$d/out" "$d/out-pw" -name '.airca-tmp.*' 2>/dev/null | head -3)
		[ -z "$v" ] || bad="$bad; [temp] temp files left after the error: ${v//$d\//}"
	fi
	# 3. no half-written outputs
	v=$(fault_check_out "$d/out" "$fault" "$cmd" | tr '\n' ' ')
	case $v in "") ;; "["*) bad="$bad; $v" ;; *) bad="$bad; [out] $v" ;; esac
	# 4. the journal verifies or names the problem
	msg=$(fault_verify "$d") || bad="$bad; [verify] $msg"
	[ -z "$msg" ] || echo "$msg" > "$d/verify.msg"
	# 5. with the fault removed, the command runs again (after a confirmed
	#    repair, if that is what stops it: the officers remove an incomplete
	#    line and adopt the unsigned entries the failed command wrote, as
	#    'journal repair' lists them)
	if [ $rc -ne 0 ]; then
		rout=$d/retry
		[ "$(fault_outkind "$cmd")" = batch ] && rout=$d/out
		rargs=$(fault_args "$cmd" "$d" "$rout")
		rc=0
		# shellcheck disable=SC2086
		fairca $rargs >"$d/retry.out" 2>"$d/retry.err" || rc=$?
		if [ $rc -ne 0 ] && ! fault_crashed $rc "$d/retry.err" && ! fault_done "$cmd" "$d"; then
			fairca journal repair --adopt --yes >"$d/repair.out" 2>"$d/repair.err" || true
			rc=0
			# shellcheck disable=SC2086
			fairca $rargs >"$d/retry.out" 2>"$d/retry.err" || rc=$?
		fi
		if fault_crashed $rc "$d/retry.err"; then
			bad="$bad; [crash] retry crashed (exit $rc)"
		elif [ $rc -ne 0 ] && ! { [ "$rout" = "$d/out" ] && [ $rc -eq 3 ]; } &&
		    ! fault_done "$cmd" "$d"; then
			bad="$bad; [retry] retry exit $rc: $(grep -v 'warning: network' "$d/retry.err" | tail -1 | head -c 200)"
		else
			v=$(fault_verify "$d") || true
			[ -z "$v" ] || bad="$bad; [verify-retry] after the retry, $v"
			v=$(fault_check_out "$rout" ENOSPC "$cmd" | tr '\n' ' ')
			case $v in "") ;; "["*) bad="$bad; $v (retry)" ;; *) bad="$bad; [out] retry: $v" ;; esac
		fi
	fi
	# 6. nothing issued twice
	if [ -f "$d/home/journal.jsonl" ]; then
		v=$(fault_dups "$d/home/journal.jsonl")
		[ -z "$v" ] || bad="$bad; [twice] issued twice: $v"
	fi
	if [ -n "$bad" ]; then
		printf '%s %s %s %s FAIL %s:%s %s\n' "$cmd" "$sys" "$fault" "$n" "$where" "$target" "${bad#; }"
		return 1
	fi
	printf '%s %s %s %s ok %s:%s %s\n' "$cmd" "$sys" "$fault" "$n" "$where" "$target" "$(cat "$d/verify.msg" 2>/dev/null | head -c 100)"
	[ -n "${FAULT_KEEP:-}" ] || rm -rf "$d"
	return 0
}

# fault_discover FT CMD SYSCALL...: the calls of each SYSCALL that CMD makes
# on a copy without faults, one line each: "SYSCALL TID N WHERE" (N counted
# per thread, as strace's when= counts them), from one traced run
fault_discover() {
	local ft=$1 cmd=$2 d="$1/discover.$2"
	shift 2
	rm -rf "$d"
	cp -a "$ft/golden/$cmd" "$d"
	fault_env "$d"
	# shellcheck disable=SC2046
	ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" strace -f -y -qq -o "$d/strace.log" -e trace="$(echo "$@" | tr ' ' ',')" \
		"$AIRCA_BIN" --pin-env TEST_PIN $(fault_args "$cmd" "$d" "$d/out") >/dev/null 2>&1 || true
	# one awk pass (a fork per line costs minutes on 900 openat calls)
	awk -v d="$d" '
	function where(l) {
		if (index(l, "(" d "/home/") || index(l, "<" d "/home/") || index(l, "<" d "/home>") || index(l, "\"" d "/home")) return "home"
		if (index(l, "<" d "/out") || index(l, "\"" d "/out")) return "out"
		if (index(l, "<" d "/tokens") || index(l, "\"" d "/tokens")) return "token"
		if (index(l, "<" d "/in") || index(l, "\"" d "/in") || index(l, "<" d "/req") || index(l, "\"" d "/req")) return "in"
		if (l ~ /write\([12][<,]/) return "std"
		return "other"
	}
	{
		tid = $1; rest = $0; sub(/^[0-9]+ +/, "", rest)
		if (rest ~ /^(<\.\.\.|\+\+\+|---)/) next
		sys = rest; sub(/\(.*/, "", sys)
		k = sys " " tid
		cnt[k]++
		print sys, tid, cnt[k], where($0)
	}' "$d/strace.log"
	rm -rf "$d"
}
