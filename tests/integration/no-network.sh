#!/usr/bin/env bash
# no-network.sh: airca opens no network connection, ever.  The whole demo
# ceremony (token, init, device CA, API signing, batch, journal) runs under
# strace; no internet or packet socket may be created and nothing connected
# but local (AF_UNIX) endpoints.  Netlink (getifaddrs for the air-gap check)
# is allowed: it never leaves the machine.
. "$(dirname "$0")/../lib.sh"

command -v strace >/dev/null || fail "strace missing (make deps installs it)"
unset AIRCA_HOME SOFTHSM2_CONF
# LeakSanitizer cannot run under ptrace; the other tests look for leaks
TMPDIR=$T ASAN_OPTIONS="$ASAN_OPTIONS:detect_leaks=0" strace -f -qq -e trace=socket,connect,socketpair -o "$T/trace" \
	"$AIRCA_BIN" demo >"$T/demo.out" 2>"$T/demo.err" ||
	{ tail -20 "$T/demo.err"; fail "demo failed under strace"; }
[ -s "$T/trace" ] || fail "strace recorded nothing (is the trace working?)"
grep -q "factory root initialised" "$T/demo.out" || fail "demo did not run the ceremony"

bad=$(grep -E 'socket\((AF_INET|AF_INET6|AF_PACKET|PF_INET|PF_INET6|PF_PACKET)' "$T/trace" || true)
[ -z "$bad" ] || fail "network sockets opened: $bad"
bad=$(grep -E 'connect\(' "$T/trace" | grep -vE 'sa_family=AF_(UNIX|LOCAL|NETLINK)' || true)
[ -z "$bad" ] || fail "connections made: $bad"

# the check itself would catch one: a program that does open a socket
strace -f -qq -e trace=socket -o "$T/trace2" python3 -c 'import socket; socket.socket()' 2>/dev/null
grep -qE 'socket\((AF|PF)_INET' "$T/trace2" || fail "the trace does not see internet sockets"
echo "no-network ok: $(grep -c . "$T/trace") socket calls traced, none to a network"
