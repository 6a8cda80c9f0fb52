# tests/tokens.sh: the token backends of the tests, sourced by tests/lib.sh.
# AIRCA_TEST_TOKEN picks one:
#   softhsm2      SoftHSMv2, a token directory in $T (the default)
#   opencryptoki  openCryptoki's soft token behind pkcsslotd, in a private
#                 mount and IPC namespace whose /run, /var/lib/opencryptoki,
#                 /etc/opencryptoki and /dev/shm are directories of $T
#                 (its paths are compiled in; needs root)
#   tpm2          tpm2-pkcs11 on a swtpm in $T, reached through tpm2-abrmd
#                 on a private D-Bus (a TPM has 3 object slots; the resource
#                 manager swaps them), its store in $T
# Each backend defines token_start (after $T exists), token_make LABEL and
# token_stop (from the EXIT trap; stops only the daemons it started).
# The non-SoftHSM backends test the shipped profile with [network] policy
# warn (this machine has a network; the profile says refuse).

OCK_MODULE=/usr/lib/x86_64-linux-gnu/pkcs11/libopencryptoki.so
OCK_STDLL=/usr/lib/x86_64-linux-gnu/opencryptoki/stdll/libpkcs11_sw.so
OCK_SO_PIN=87654321			# openCryptoki's default SO PIN
TPM2_MODULE=/usr/lib/x86_64-linux-gnu/pkcs11/libtpm2_pkcs11.so
TOKEN_PIDS=""

# Before $T: the opencryptoki backend runs the whole test in its own
# namespaces, so that pkcsslotd's fixed paths are the test's directories.
token_reexec() {
	case $AIRCA_TEST_TOKEN in
	opencryptoki)
		[ -n "${AIRCA_TEST_NS:-}" ] && return 0
		[ -x /usr/sbin/pkcsslotd ] && [ -e "$OCK_MODULE" ] ||
			skip "openCryptoki is not installed (Debian package opencryptoki; make deps)"
		[ "$(id -u)" -eq 0 ] ||
			skip "openCryptoki's soft token needs root here (pkcsslotd's paths are fixed; run as root)"
		command -v unshare >/dev/null || fail "unshare missing (util-linux)"
		AIRCA_TEST_NS=1 exec unshare --mount --ipc --propagation private \
			"$BASH" "$0" "$@"
		;;
	tpm2)
		[ -e "$TPM2_MODULE" ] && command -v swtpm >/dev/null &&
		    command -v tpm2_ptool >/dev/null && command -v tpm2-abrmd >/dev/null ||
			skip "tpm2-pkcs11 or swtpm is not installed (libtpm2-pkcs11-1, libtpm2-pkcs11-tools, swtpm, tpm2-abrmd; make deps)"
		;;
	esac
}

# profile_copy NAME: the shipped profile in $T/profiles with policy warn;
# nothing else may differ
profile_copy() {
	mkdir -p "$T/profiles"
	sed 's/^policy = refuse$/policy = warn/' "$TOP/hsm-profiles/$1.conf" \
		> "$T/profiles/$1.conf"
	[ "$(diff "$TOP/hsm-profiles/$1.conf" "$T/profiles/$1.conf" | grep -c '^>')" -eq 1 ] ||
		fail "hsm-profiles/$1.conf: expected one 'policy = refuse' line"
	export AIRCA_PROFILES="$T/profiles" AIRCA_HSM=$1
}

# AIRCA_BIN becomes a wrapper that preloads the sanitizer build's libasan
# first, then the modules: LeakSanitizer names a leak's module only while
# it is mapped, and the modules unload their plug-ins at C_Finalize
# (tests/lsan.supp lists them).  Tests that run "$AIRCA_BIN" get it too.
preload() {
	local asan real=$AIRCA_BIN
	asan=$(ldd "$real" 2>/dev/null | awk '/libasan/ {print $3}')
	[ -n "$asan" ] || return 0
	mkdir -p "$T/bin"
	printf '#!/bin/sh\nLD_PRELOAD="%s %s" exec "%s" "$@"\n' "$asan" "$*" \
		"$real" > "$T/bin/airca"
	chmod 755 "$T/bin/airca"
	AIRCA_BIN=$T/bin/airca
}

token_start() {
	case $AIRCA_TEST_TOKEN in
	softhsm2)	softhsm_start ;;
	opencryptoki)	ock_start ;;
	tpm2)		tpm2_start ;;
	esac
}
token_make() {
	case $AIRCA_TEST_TOKEN in
	softhsm2)
		softhsm2-util --init-token --free --label "$1" \
			--so-pin 5678-so-pin --pin "$TEST_PIN" >/dev/null ;;
	opencryptoki)	ock_make "$1" ;;
	tpm2)		tpm2_make "$1" ;;
	esac
}
token_stop() {
	local p
	for p in $TOKEN_PIDS; do
		kill "$p" 2>/dev/null || true
	done
	# gone, or a zombie (a daemon's parent here may never reap it): 5 s at most
	for p in $TOKEN_PIDS; do
		for _ in $(seq 100); do
			[ -r "/proc/$p/stat" ] || break
			[ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" = Z ] && break
			sleep 0.05
		done
	done
	TOKEN_PIDS=""
}

softhsm_start() {
	export SOFTHSM2_CONF="$T/softhsm2.conf"
	mkdir -p "$T/tokens"
	printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' \
		"$T/tokens" > "$SOFTHSM2_CONF"
}

# --- openCryptoki ----------------------------------------------------------

ock_start() {
	local d=$T/ock i
	mkdir -p "$d/run/lock/opencryptoki/swtok" "$d/lib/swtok/TOK_OBJ" \
		"$d/log" "$d/etc"
	printf 'version opencryptoki-3.1\nslot 3\n{\nstdll = libpkcs11_sw.so\n}\n' \
		> "$d/etc/opencryptoki.conf"
	chgrp -R pkcs11 "$d/run/lock" "$d/lib" "$d/log"
	chmod -R 0770 "$d/run/lock" "$d/lib" "$d/log"
	mount --bind "$d/run" /run
	mount --bind "$d/lib" /var/lib/opencryptoki
	mount --bind "$d/etc" /etc/opencryptoki
	mkdir -p /var/log/opencryptoki && mount --bind "$d/log" /var/log/opencryptoki
	mount -t tmpfs -o mode=1777 tmpfs /dev/shm
	pkcsslotd || fail "pkcsslotd did not start"
	for i in $(seq 50); do
		[ -s /run/pkcsslotd.pid ] && break
		sleep 0.1
	done
	TOKEN_PIDS=$(cat /run/pkcsslotd.pid) || fail "pkcsslotd wrote no pid file"
	# openCryptoki PINs are 4 to 8 characters
	TEST_PIN=1234test
	TEST_KEY=rsa-3072
	P11_MODULE=$OCK_MODULE
	preload "$OCK_MODULE" "$OCK_STDLL"
	profile_copy opencryptoki
}

# One soft token (slot 3): LABEL re-initialises it
ock_make() {
	pkcs11-tool --module "$OCK_MODULE" --init-token --label "$1" \
		--so-pin "$OCK_SO_PIN" >/dev/null 2>&1 ||
		fail "openCryptoki: C_InitToken failed"
	pkcs11-tool --module "$OCK_MODULE" --token-label "$1" --init-pin \
		--login --login-type so --so-pin "$OCK_SO_PIN" \
		--pin "$TEST_PIN" >/dev/null 2>&1 ||
		fail "openCryptoki: C_InitPIN failed"
}

# --- tpm2-pkcs11 on swtpm --------------------------------------------------

tpm2_start() {
	local d=$T/tpm2 i
	mkdir -p "$d/state" "$d/store"
	swtpm socket --tpm2 --tpmstate dir="$d/state" \
		--server type=unixio,path="$d/sock" \
		--ctrl type=unixio,path="$d/sock.ctrl" \
		--flags not-need-init,startup-clear \
		--pid file="$d/swtpm.pid" --log file="$d/swtpm.log" --daemon ||
		fail "swtpm did not start"
	TOKEN_PIDS=$(cat "$d/swtpm.pid")
	dbus-daemon --session --address="unix:path=$d/bus" --fork \
		--print-pid=3 3>"$d/dbus.pid" || fail "dbus-daemon did not start"
	TOKEN_PIDS="$(cat "$d/dbus.pid") $TOKEN_PIDS"
	export DBUS_SESSION_BUS_ADDRESS="unix:path=$d/bus"
	tpm2-abrmd --session --allow-root --tcti="swtpm:path=$d/sock" \
		--flush-all --logger=stdout >"$d/abrmd.log" 2>&1 &
	TOKEN_PIDS="$! $TOKEN_PIDS"
	export TPM2TOOLS_TCTI="tabrmd:bus_type=session"
	export TPM2_PKCS11_TCTI="tabrmd:bus_type=session"
	export TPM2_PKCS11_STORE="$d/store"
	for i in $(seq 50); do
		tpm2_getcap properties-fixed >/dev/null 2>&1 && break
		sleep 0.1
	done
	tpm2_ptool init --path="$d/store" >/dev/null ||
		fail "tpm2_ptool init failed (log: $d/abrmd.log)"
	TEST_PIN=1234-test-pin
	P11_MODULE=$TPM2_MODULE
	preload "$TPM2_MODULE" /usr/lib/x86_64-linux-gnu/libtss2-tcti-tabrmd.so.0
	# tpm2-pkcs11 1.9.0 leaks in every ECDSA C_SignInit, inside libcrypto
	# (tests/lsan-tpm2.supp says where)
	export LSAN_OPTIONS="suppressions=$TOP/tests/lsan-tpm2.supp:print_suppressions=0"
	profile_copy tpm2-pkcs11
}

# LABEL made afresh (a token of that label is removed first)
tpm2_make() {
	tpm2_ptool rmtoken --label="$1" --path="$TPM2_PKCS11_STORE" >/dev/null 2>&1 || true
	tpm2_ptool addtoken --pid=1 --label="$1" --sopin=5678-so-pin \
		--userpin="$TEST_PIN" --path="$TPM2_PKCS11_STORE" >/dev/null ||
		fail "tpm2_ptool addtoken failed"
}
