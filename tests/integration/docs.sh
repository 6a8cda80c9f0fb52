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

# the bash completion is the command table's: generated from it, and current
diff -u "$TOP/docs/completion/airca.bash" <("$TOP/docs/completion/gen.sh" "$AIRCA_BIN") >"$T/compl.diff" ||
	fail "docs/completion/airca.bash is not what the table gives (run docs/completion/gen.sh build/airca):
$(head -20 "$T/compl.diff")"
# every command and option of the table completes
. "$TOP/docs/completion/airca.bash"
while IFS= read -r name; do
	COMP_WORDS=(airca $name --) COMP_CWORD=$(( $(wc -w <<<"$name") + 1 )) COMPREPLY=()
	_airca
	# shellcheck disable=SC2086
	for opt in $("$AIRCA_BIN" $name --help | sed -n "s/^usage: airca \[global options\] $name//p" |
	    grep -oE -- '--[a-z][a-z0-9-]*'); do
		printf '%s\n' "${COMPREPLY[@]}" | grep -qxF -- "$opt" || fail "completion of '$name' lacks $opt"
	done
	first=${name%% *}
	COMP_WORDS=(airca "${first:0:3}") COMP_CWORD=1 COMPREPLY=()
	_airca
	printf '%s\n' "${COMPREPLY[@]}" | grep -qxF -- "$first" || fail "completion of '${first:0:3}' lacks $first"
done <<<"$names"
# the man page tells how to get help and completion
grep -q 'Cm help' "$MAN" || fail "the man page does not document 'airca help'"
grep -q 'bash-completion' "$MAN" || fail "the man page does not name the bash completion"
# make install puts the completion where bash-completion finds it
make -s -C "$TOP" -n install PREFIX=/usr/local | grep -q 'share/bash-completion/completions/airca' ||
	fail "make install does not install the completion"

# a plain make builds and never installs packages (make deps, test, demo may)
! make -s -C "$TOP" -n all 2>/dev/null | grep -qE 'apt-get|dpkg -i' ||
	fail "'make' would install packages"

# and the README keeps the two commands
grep -q 'make demo' "$TOP/README.md" && grep -q 'make test' "$TOP/README.md" || fail "README lost its two commands"
echo "docs ok: $(printf '%s\n' "$names" | wc -l) commands documented"
