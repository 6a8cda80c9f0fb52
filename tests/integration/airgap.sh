#!/usr/bin/env bash
# airgap.sh: airca check-airgap under the HSM profile's network policy, in and out of a network namespace.
. "$(dirname "$0")/../lib.sh"

sed 's/^policy = .*/policy = refuse/' "$TOP/hsm-profiles/softhsm2.conf" >"$T/refuse.conf"
grep -q '^policy = refuse$' "$T/refuse.conf" || fail "could not make a refuse profile"

# an interface up on this host? (not lo)
host_up=""
for d in /sys/class/net/*; do
	n=${d##*/}
	[ "$n" = lo ] && continue
	flags=$(cat "$d/flags" 2>/dev/null || echo 0)
	[ $((flags & 1)) -eq 1 ] && host_up="$host_up $n"
done

if [ -n "$host_up" ]; then
	set -- $host_up
	expect_fail 1 "not air-gapped.*ip link set $1 down" \
		"$AIRCA_BIN" --hsm "$T/refuse.conf" check-airgap
	grep -q "^network: .*$1.* up (policy refuse)" "$T/out" || fail "report lacks $1"
	# warn (SoftHSM's profile): runs, says so on stderr
	"$AIRCA_BIN" check-airgap >"$T/out" 2>"$T/err" || fail "policy warn failed"
	grep -q "warning: .*$1" "$T/err" || fail "no warning under policy warn"
	# no profile: the strictest policy
	expect_fail 1 "not air-gapped" env AIRCA_HSM= "$AIRCA_BIN" check-airgap
else
	echo "skip: no interface up on this host; the namespace half checks refuse"
fi

if unshare -rn true 2>/dev/null; then
	# a new network namespace: only lo, and it is down
	unshare -rn "$AIRCA_BIN" --hsm "$T/refuse.conf" check-airgap >"$T/out" 2>"$T/err" ||
		{ cat "$T/err"; fail "check-airgap fails with no interface up"; }
	grep -q "^network: *no interface up but lo" "$T/out" || fail "namespace report"
	unshare -rn "$AIRCA_BIN" --json --hsm "$T/refuse.conf" check-airgap >"$T/out.json"
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["air_gapped"] and d["interfaces_up"] == [] and len(d["binary_sha256"]) == 64' \
		"$T/out.json" || fail "check-airgap --json"
	# lo up is still air-gapped
	unshare -rn sh -c 'ip link set lo up && exec "$0" --hsm "$1" check-airgap' \
		"$AIRCA_BIN" "$T/refuse.conf" >"$T/out" 2>&1 || fail "lo up counts as a network"
	# an interface brought up inside the namespace is refused
	if unshare -rn sh -c 'ip link add v0 type veth peer name v1' 2>/dev/null; then
		expect_fail 1 "v0.*not air-gapped" unshare -rn sh -c \
			'ip link add v0 type veth peer name v1 && ip link set v0 up && exec "$0" --hsm "$1" check-airgap' \
			"$AIRCA_BIN" "$T/refuse.conf"
	else
		echo "skip: cannot make a veth pair in a network namespace"
	fi
else
	echo "skip: unshare -rn not permitted here; checked the refuse path on the host only"
	[ -n "$host_up" ] || fail "neither a namespace nor an interface up: nothing checked"
fi
echo ok
