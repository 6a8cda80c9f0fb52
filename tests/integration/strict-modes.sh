#!/usr/bin/env bash
# StrictModes: a home, or a file airca trusts in it, that is group- or
# world-writable is refused by every command that opens the home, with the
# chmod to run; after the chmod it works.  airca's own homes pass the check
# even when made under umask 000.
. "$(dirname "$0")/../lib.sh"

umask 000
init_ca acme
H=$AIRCA_HOME
airca device-ca create --user-id u1 --label dca1 >/dev/null || fail "device-ca create under umask 000"
airca list >/dev/null || fail "list on a home made under umask 000"
ls -ld "$H" "$H"/* | awk '$1 ~ /^.....w|^........w/ {print; bad=1} END {exit bad}' || fail "airca made a group/world-writable file"
umask 022

cmds=("list" "export --serial $(sed -n 's/.*"serial":"\([0-9a-f]*\)".*/\1/p' "$H/registry.jsonl" | head -1)"
	"device-ca create --user-id u2 --label dca2" "api device-cas --out $T/dcas"
	"journal seal" "crl --ca dca1 --out $T/c.crl")

refused() {	# refused PATH HINT: every command refuses, naming PATH and the chmod
	local c
	for c in "${cmds[@]}"; do
		# shellcheck disable=SC2086
		expect_fail 1 "$1 is (group|world)-writable.*run 'chmod go-w $1'" airca $c
	done
}

chmod 0777 "$H"
refused "$H"
chmod go-w "$H"
airca list >/dev/null || fail "list after chmod go-w"

for f in airca.json policy.conf root.pem audit.pem journal.jsonl registry.jsonl certs; do
	chmod g+w "$H/$f"
	expect_fail 1 "$H/$f is group-writable.*chmod go-w $H/$f" airca list
	chmod go-w "$H/$f"
done
chmod o+w "$H/journal.jsonl"
refused "$H/journal.jsonl"
chmod go-w "$H/journal.jsonl"

# fixed: every command works again
airca list >/dev/null || fail "list after the fix"
airca device-ca create --user-id u3 --label dca3 >/dev/null || fail "device-ca create after the fix"
airca journal seal >/dev/null || fail "journal seal after the fix"
airca journal verify >/dev/null || fail "journal verify after the fix"
echo "strict-modes ok"
