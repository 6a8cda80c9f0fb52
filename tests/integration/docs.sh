#!/usr/bin/env bash
# docs.sh: the man page documents every command of the command table, with
# every option its usage text names (the synopsis must not drift from the code).
. "$(dirname "$0")/../lib.sh"

MAN="$TOP/docs/man/airca.1"
[ -f "$MAN" ] || fail "no $MAN"

# "  token list         slots and ..." -> "token list"
names=$("$AIRCA_BIN" help 2>&1 | awk -F'  +' '/^  [a-z]/ { print $2 }')
[ "$(printf '%s\n' "$names" | wc -l)" -ge 20 ] || fail "help lists too few commands: $names"

missing=""
while IFS= read -r name; do
	# the man page entry: ".It Cm token list ..." (words may be split: "Cm device-ca create")
	entry=$(awk -v n="$name" '
		/^\.It Cm / { on = (index($0, ".It Cm " n) == 1 &&
		    (length($0) == length(".It Cm " n) || substr($0, length(".It Cm " n) + 1, 1) == " ")) }
		/^\.It / && !/^\.It Cm / { if (on) on = 0 }
		/^\.El/ { on = 0 }
		on { print }' "$MAN")
	if [ -z "$entry" ]; then
		missing="$missing\n  command '$name' has no '.It Cm $name' entry"
		continue
	fi
	# usage: airca [global options] NAME USAGE
	# shellcheck disable=SC2086
	usage=$("$AIRCA_BIN" $name --help 2>&1 | sed -n "s/^usage: airca \[global options\] $name //p")
	for opt in $(printf '%s\n' "$usage" | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u); do
		printf '%s\n' "$entry" | grep -qE -- "Fl -${opt#--}([^a-z0-9-]|$)" ||
			missing="$missing\n  '$name $opt' is in the usage text but not in the man page"
	done
done <<<"$names"
# and the other way: every command the man page documents exists
while IFS= read -r line; do
	words=$(printf '%s\n' "$line" | sed 's/^\.It Cm //' | awk '{
		n = ""; for (i = 1; i <= NF; i++) { if ($i !~ /^[a-z][a-z-]*$/) break; n = n (n ? " " : "") $i } print n }')
	printf '%s\n' "$names" | grep -qxF -- "$words" ||
		missing="$missing\n  the man page documents '$words', which is not a command"
done < <(grep '^\.It Cm [a-z]' "$MAN" | sed -n '/./p')
[ -z "$missing" ] || fail "docs/man/airca.1 drifted from the command table:$(printf '%b' "$missing")"

# and the README keeps the two commands
grep -q 'make demo' "$TOP/README.md" && grep -q 'make test' "$TOP/README.md" || fail "README lost its two commands"
echo "docs ok: $(printf '%s\n' "$names" | wc -l) commands documented"
