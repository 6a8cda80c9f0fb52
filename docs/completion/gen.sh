#!/usr/bin/env bash
# gen.sh AIRCA: print the bash completion for airca, made from the command
# table (airca help, and each command's usage from 'airca CMD --help').
# docs/completion/airca.bash is its output; tests/integration/docs.sh checks
# that the two agree.
set -eu
bin=${1:?usage: gen.sh path/to/airca}
names=$("$bin" help | awk -F'  +' '/^  [a-z]/ { print $2 }')
cat <<'EOF'
# bash completion for airca(1).  Generated from the command table by
# docs/completion/gen.sh: do not edit; run 'docs/completion/gen.sh build/airca'.

_airca_commands='
EOF
printf '%s\n' "$names"
printf "'\n\n# the options of each command, and those of them that take a value\n"
printf '_airca_options() {\n\tcase $1 in\n'
valued=""
while IFS= read -r name; do
	# shellcheck disable=SC2086
	usage=$("$bin" $name --help | sed -n "s/^usage: airca \[global options\] $name//p")
	opts=$(printf '%s\n' "$usage" | grep -oE -- '--[a-z][a-z0-9-]*' | awk '!seen[$0]++' | tr '\n' ' ' | sed 's/ $//')
	printf '\t"%s") echo "%s" ;;\n' "$name" "$opts"
	# an option followed by a word that is not an option takes a value
	valued="$valued $(printf '%s\n' "$usage" | tr -d '[]' | tr ' ' '\n' |
		awk '/^--/ { o = $0; next } o != "" && !/^--/ && $0 != "" { print o } { o = "" }')"
done <<<"$names"
printf '\tesac\n}\n'
printf "_airca_valued=' --home --hsm --pin-env --pin-file --pin-share-file --so-pin-env --so-pin-file --actor %s '\n" \
	"$(printf '%s\n' $valued | sort -u | tr '\n' ' ' | sed 's/ $//')"
cat <<'EOF'

_airca() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev="" typed="" i w
	[ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD-1]}
	if [[ $prev == --* && $_airca_valued == *" $prev "* ]]; then
		COMPREPLY=($(compgen -f -- "$cur"))
		return
	fi
	# the command words typed so far, without options and their values
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ $w == --* ]]; then
			[[ $_airca_valued == *" $w "* ]] && ((i++))
			continue
		fi
		typed="${typed:+$typed }$w"
	done
	if [[ $cur == -* ]] || { [ -n "$typed" ] &&
	    grep -qxF -- "$typed" <<<"$_airca_commands"; }; then
		if [ -z "$typed" ]; then
			COMPREPLY=($(compgen -W "--home --hsm --pin-env --pin-file --pin-share-file --so-pin-env --so-pin-file --actor --json --quiet --help --version" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(_airca_options "$typed") --json --help" -- "$cur"))
		fi
		return
	fi
	# the next word of the commands that start with what was typed
	COMPREPLY=($(compgen -W "$(awk -v t="$typed" 'NF {
		n = split($0, w, " "); k = t == "" ? 0 : split(t, x, " ")
		if (k >= n) next
		for (j = 1; j <= k; j++) if (w[j] != x[j]) next
		print w[k + 1] }' <<<"$_airca_commands" | sort -u)" -- "$cur"))
}
complete -F _airca airca
EOF
