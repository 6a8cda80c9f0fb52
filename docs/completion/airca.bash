# bash completion for airca(1).  Generated from the command table by
# docs/completion/gen.sh: do not edit; run 'docs/completion/gen.sh build/airca'.

_airca_commands='
token list
token keys
check-airgap
init
device-ca create
ca create
device-ca revoke
device-ca disable
device-ca enable
api sign
api device-cas
sign
keygen
batch sign
list
export
renew
revoke
crl
journal show
journal verify
journal seal
journal repair
registry rebuild
backup
restore
custody check
ceremony run
ceremony print
ceremony check
ceremony report
tui
demo
version
help
'

# the options of each command, and those of them that take a value
_airca_options() {
	case $1 in
	"token list") echo "--module" ;;
	"token keys") echo "" ;;
	"check-airgap") echo "" ;;
	"init") echo "--factory --key --days --backup --custodian --pin-shares --pin-custodian --shares-to" ;;
	"device-ca create") echo "--user-id --label --days" ;;
	"ca create") echo "--profile --label --cn --days" ;;
	"device-ca revoke") echo "--serial --out" ;;
	"device-ca disable") echo "--serial --out" ;;
	"device-ca enable") echo "--serial --out" ;;
	"api sign") echo "--in --out --first-time --rotate-tls --add-online-ca --current --drop" ;;
	"api device-cas") echo "--out --current --drop" ;;
	"sign") echo "--profile --in --out --ca --days" ;;
	"keygen") echo "--profile --count --out --passwords --cn-prefix" ;;
	"batch sign") echo "--ca --in --out --profile --manifest --progress --sessions" ;;
	"list") echo "--expiring --profile" ;;
	"export") echo "--serial --chain --der --out" ;;
	"renew") echo "--expiring --out --profile" ;;
	"revoke") echo "--serial --reason" ;;
	"crl") echo "--ca --out" ;;
	"journal show") echo "--since --journal" ;;
	"journal verify") echo "--journal --audit-cert --root --seal --allow-unpinned" ;;
	"journal seal") echo "" ;;
	"journal repair") echo "--yes --adopt --discard" ;;
	"registry rebuild") echo "" ;;
	"backup") echo "--out" ;;
	"restore") echo "--from --share-file" ;;
	"custody check") echo "--share-file" ;;
	"ceremony run") echo "--param --confirm-file --confirm-env" ;;
	"ceremony print") echo "--param" ;;
	"ceremony check") echo "" ;;
	"ceremony report") echo "--ceremony --journal --audit-cert --root" ;;
	"tui") echo "" ;;
	"demo") echo "" ;;
	"version") echo "" ;;
	"help") echo "" ;;
	esac
}
_airca_valued=' --home --hsm --pin-env --pin-file --pin-share-file --so-pin-env --so-pin-file --actor --audit-cert --backup --ca --ceremony --cn --cn-prefix --confirm-env --confirm-file --count --current --custodian --days --drop --expiring --factory --from --in --journal --key --label --manifest --module --out --param --passwords --pin-custodian --pin-shares --profile --reason --root --seal --serial --sessions --share-file --shares-to --since --user-id '

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
