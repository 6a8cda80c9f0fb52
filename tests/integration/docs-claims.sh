#!/usr/bin/env bash
# docs-claims.sh: what README.md, docs/*.md and the man page claim about the
# program is checked against the program itself, where a test can check it:
#   - every 'airca ...' command line they show names a real command and only
#     options that command (or the global options) declares;
#   - every journal event the code writes is documented in docs/journal.md's
#     event table, and every event the table names is written by the code;
#   - the exit statuses of the man page, 'airca help' and src/error.h agree;
#   - every repository file, HSM profile, ceremony script and make target
#     they name exists.
. "$(dirname "$0")/../lib.sh"

DOCS=("$TOP/README.md" "$TOP"/docs/*.md "$TOP/docs/man/airca.1")
problems=""
problem() { problems="$problems
  $*"; }

names=$("$AIRCA_BIN" help 2>&1 | awk -F'  +' '/^  [a-z]/ { print $2 }')
globals=$("$AIRCA_BIN" help 2>&1 | sed -n '1,/^commands:/p' | grep -oE -- '--[a-z][a-z-]*' | sort -u)

# ---- 1. command lines shown in the docs -------------------------------------
# Lines of code blocks and the man page's literal displays that run airca:
# "$ airca ...", "airca ..." at the start of a line, after "sudo", env
# assignments or a "| " pipe are taken; prose mentions in backquotes too
# ("`airca journal verify --allow-unpinned`").
extract() { python3 "$TOP/tests/integration/lib/doc-commands.py" "$@"; }
while IFS=$'\t' read -r where line; do
	# shellcheck disable=SC2206
	words=($line)
	# the command: the longest run of words after 'airca' and its global
	# options that is a command of the table
	i=1
	while [ $i -lt ${#words[@]} ] && [[ ${words[$i]} == --* ]]; do
		w=${words[$i]%%=*}
		printf '%s\n' "$globals" | grep -qxF -- "$w" ||
			problem "$where: '$w' is not a global option: $line"
		case $w in --json|--quiet) i=$((i + 1)) ;; *) [[ ${words[$i]} == *=* ]] && i=$((i + 1)) || i=$((i + 2)) ;; esac
	done
	[ $i -lt ${#words[@]} ] || continue
	cmd=""
	for n in 2 1; do
		cand="${words[*]:$i:$n}"
		if printf '%s\n' "$names" | grep -qxF -- "$cand"; then cmd=$cand; break; fi
	done
	if [ -z "$cmd" ]; then
		# a placeholder ("airca COMMAND --help", "airca CMD") is not a claim
		[[ ${words[$i]} =~ ^[A-Z.\[] ]] && continue
		# a command group's help ("airca device-ca --help")
		printf '%s\n' "$names" | grep -q "^${words[$i]} " &&
			[ "${words[$((i + 1))]:-}" = --help ] && continue
		# words in backquotes with no option ("`airca audit`", a CN) are prose
		[[ "${words[*]:$i}" == *--* ]] || continue
		problem "$where: 'airca ${words[*]:$i:2}' is not a command: $line"
		continue
	fi
	# shellcheck disable=SC2086
	usage=$("$AIRCA_BIN" $cmd --help 2>&1 | sed -n "s/^usage: airca \[global options\] $cmd//p")
	for w in "${words[@]:$i}"; do
		[[ $w == --* ]] || continue
		o=${w%%=*}
		o=${o%%[^a-z0-9-]*}
		[ "$o" = --help ] && continue
		printf '%s\n' "$usage" | grep -qE -- "(^|[^a-z0-9-])$o([^a-z0-9-]|$)" ||
			printf '%s\n' "$globals" | grep -qxF -- "$o" ||
			problem "$where: 'airca $cmd' has no option $o: $line"
	done
done < <(extract "${DOCS[@]}")

# ---- 2. journal events ------------------------------------------------------
code_events=$(python3 - "$TOP"/src/*.c <<'EOF'
import re, sys
ev = set()
for path in sys.argv[1:]:
    src = open(path, encoding="utf-8").read()
    # ca_journal(ca, "x", ...), journal_append(j, c ? "x" : "y", ...)
    for m in re.finditer(r"\b(?:ca_journal|journal_append|journal_append_own)\s*\(\s*[^,()]+(?:\([^()]*\))?\s*,\s*([^,]*?),", src, re.S):
        ev.update(re.findall(r'"([a-z0-9-]+)"', m.group(1)))
    # signed entries and ceremony events built by name
    for m in re.finditer(r'#define\s+\w*EVENT\w*\s+"([a-z0-9-]+)"', src):
        ev.add(m.group(1))
print("\n".join(sorted(ev)))
EOF
)
[ "$(printf '%s\n' "$code_events" | wc -l)" -ge 20 ] || fail "found too few events in src/: $code_events"
doc_events=$(awk -F'|' '/^## 4\. Events/ { on = 1 } /^## 5/ { on = 0 }
	on && /^\| `/ { print $2 }' "$TOP/docs/journal.md" | grep -oE '`[a-z0-9-]+`' | tr -d '`' | sort -u)
for e in $code_events; do
	printf '%s\n' "$doc_events" | grep -qxF -- "$e" ||
		problem "docs/journal.md section 4 does not document the event '$e' that src/ writes"
done
for e in $doc_events; do
	grep -rqF -- "\"$e\"" "$TOP/src" ||
		problem "docs/journal.md documents the event '$e', which nothing in src/ writes"
done

# ---- 3. exit statuses -------------------------------------------------------
for code in 0 1 2 3 4 5; do
	grep -qE "^#define AIRCA_EXIT_[A-Z]+[[:space:]]+$code\$" "$TOP/src/error.h" ||
		problem "src/error.h has no exit status $code"
	awk '/^\.Sh EXIT STATUS/ { on = 1; next } /^\.Sh/ { on = 0 } on' "$TOP/docs/man/airca.1" |
		grep -qx "\.It $code" || problem "the man page's EXIT STATUS lacks $code"
	"$AIRCA_BIN" help 2>&1 | tr -s '\n ' '  ' | grep -qE "(status:|,) $code [a-z]" || problem "'airca help' does not name exit status $code"
done
n=$(grep -cE '^#define AIRCA_EXIT_' "$TOP/src/error.h")
[ "$n" -eq 6 ] || problem "src/error.h defines $n exit statuses; the docs name 6"
# the statuses the docs promise are the ones the program returns
expect_fail 2 "" airca --no-such-option
"$AIRCA_BIN" version >/dev/null || problem "'airca version' does not exit 0"

# ---- 4. files, profiles, scripts and make targets the docs name -------------
# (a line that names another project's source, e.g. libp11's src/p11_slot.c,
# is about that project)
FOREIGN='libp11|lmp-device-register|fioctl|OpenSSL|SoftHSM|openCryptoki|tpm2-pkcs11|factory-registration-ref|github'
while IFS=$'\t' read -r where ref; do
	[ -e "$TOP/$ref" ] || problem "$where names $ref, which is not in the repository"
done < <(grep -nE '(docs|src|tests|tui|hsm-profiles|ceremony-scripts|debian)/' "${DOCS[@]}" |
	grep -vE "$FOREIGN" | grep -v '/hacking.md:' |
	grep -oE '^[^:]+:[0-9]+:|(^|[^A-Za-z0-9_./-])(docs|src|tests|tui|hsm-profiles|ceremony-scripts|debian)/[A-Za-z0-9_./*-]*[A-Za-z0-9_*]' |
	awk '/^[^:]+:[0-9]+:$/ { where = $0; sub(/:$/, "", where); sub("^'"$TOP"'/", "", where); next }
	     { sub(/^[^A-Za-z]/, ""); print where "\t" $0 }' |
	grep -vE $'\t''.*([*]|[A-Z]{3,}|build/)' |
	grep -vE $'\t''src/.*(_|[.]cpp$)' | sort -u)   # src/p11_slot.c: another project's
for hsm in $(grep -ohE -- '--hsm [a-z0-9-]+' "${DOCS[@]}" | awk '{ print $2 }' | sort -u); do
	[ -f "$TOP/hsm-profiles/$hsm.conf" ] || problem "the docs use --hsm $hsm; hsm-profiles/$hsm.conf does not exist"
done
for t in $(grep -ohE '`make [a-z-]+`' "${DOCS[@]}" | tr -d '`' | awk '{ print $2 }' | sort -u); do
	grep -qE "^$t:" "$TOP/Makefile" || problem "the docs name 'make $t'; the Makefile has no target $t"
done

[ -z "$problems" ] || fail "the docs claim what the program does not do:$problems"
echo "docs claims ok"
