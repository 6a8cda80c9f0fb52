#!/usr/bin/env bash
# tests/faults/run.sh: the write-failure and kill harness.  Injects ENOSPC,
# EIO or SIGKILL at the Nth write/fsync/fdatasync/rename/renameat2/openat of
# init, api sign, device-ca revoke, journal seal and batch sign, each on a
# fresh copy of a prepared SoftHSM home, and checks the invariants after
# each fault and after a retry without it (tests/faults/lib.sh says which).
#
#   run.sh            full sweep: every N until the command no longer makes
#                     the Nth call (openat: the calls on the home, the output,
#                     or the input only, not the token's or libraries'; FAULT_OPENAT=all for every
#                     N; write: those on the home, output, input, stdout and
#                     stderr, and every 10th of the token's; FAULT_WRITES=all
#                     for every N); prints a table and a summary line
#   run.sh --sample   a few N per command, chosen from a run without faults
#                     (first, middle and last call on the home or the output);
#                     exit 1 on a violation not listed in tests/faults/known-failures
#
# Options: --cmd C, --syscall S, --fault F (repeatable lists, space
# separated), --jobs J (parallel cases, default: number of CPUs), --max N,
# --n N (that N only: one case, to reproduce it).
# Environment: AIRCA_BUILD (build dir, default build), FAULT_ONLY="C ..." (the
# commands, as --cmd), FAULT_KEEP=1 keeps the
# directory of every failing case (printed), FAULT_DIR (work dir).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"

mode=full cmds=${FAULT_ONLY:-} syscalls=$FAULT_SYSCALLS kinds=$FAULT_KINDS
jobs=$(nproc 2>/dev/null || echo 2) max=100000 only=""
while [ $# -gt 0 ]; do
	case $1 in
	--sample) mode=sample ;;
	--cmd) cmds=$2; shift ;;
	--syscall) syscalls=$2; shift ;;
	--fault) kinds=$2; shift ;;
	--jobs) jobs=$2; shift ;;
	--max) max=$2; shift ;;
	--n) only=$2; shift ;;
	*) echo "usage: $0 [--sample] [--cmd C] [--syscall S] [--fault F] [--jobs J] [--max N] [--n N]" >&2; exit 2 ;;
	esac
	shift
done
# the sample: the first commands, and a few cases of the newer ones
if [ -z "$cmds" ]; then
	cmds=$FAULT_CMDS
	[ "$mode" = sample ] && cmds=$FAULT_SAMPLE_CMDS
fi
command -v strace >/dev/null || { echo "strace is not installed (make deps)"; exit 2; }
[ -x "$AIRCA_BIN" ] || { echo "no $AIRCA_BIN: build first"; exit 2; }

FT=${FAULT_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/airca-faults.XXXXXX")}
mkdir -p "$FT"
[ -n "${FAULT_KEEP:-}" ] || trap 'rm -rf "$FT"' EXIT
export FAULT_KEEP
# shellcheck disable=SC2086
fault_prepare "$FT" $cmds || { echo "preparing the homes failed"; exit 1; }

KNOWN="$HERE/known-failures"
# known CMD SYSCALL FAULT TARGET DETAIL: every violation of the case (the
# [tag]s of DETAIL) is listed in known-failures; prints the reasons
known() {
	local c=$1 s=$2 f=$3 t=$4 detail=$5 tag kc ks kf kt kk reason found why=""
	for tag in $(printf '%s\n' "$detail" | grep -oE '^\[[a-z0-9-]+\]|; \[[a-z0-9-]+\]' | tr -d '[]; '); do
		found=""
		while read -r kc ks kf kt kk reason; do
			case $kc in ''|'#'*) continue ;; esac
			# shellcheck disable=SC2254
			case $c in $kc) ;; *) continue ;; esac
			# shellcheck disable=SC2254
			case $s in $ks) ;; *) continue ;; esac
			# shellcheck disable=SC2254
			case $f in $kf) ;; *) continue ;; esac
			# shellcheck disable=SC2254
			case $t in $kt) ;; *) continue ;; esac
			# shellcheck disable=SC2254
			case $tag in $kk) found=${reason%%:*}; break ;; esac
		done < "$KNOWN"
		[ -n "$found" ] || return 1
		case " $why " in *" $found "*) ;; *) why="$why $found" ;; esac
	done
	echo "${why# }"
}

# the cases to run, one "CMD SYSCALL FAULT N" a line, into $FT/cases
: > "$FT/cases"
if [ "$mode" = sample ]; then
	i=0
	for c in $cmds; do
		# one call of each kind on the home or the output, by the first
		# thread making it: the middle write and fsync, the first
		# fdatasync (the journal's), the last rename and open
		# shellcheck disable=SC2086
		csys=$(fault_syscalls "$c" $syscalls | tr '\n' ' ')
		# shellcheck disable=SC2086
		fault_discover "$FT" "$c" $csys > "$FT/d.$c"
		# (init, the slowest, gets two: it cannot be retried today anyway;
		# the newer commands get the cases FAULT_SAMPLE_SPECS names;
		# batch its first scratch file's fallocate too)
		specs="write:mid fsync:mid fdatasync:first renameat2:last openat:last"
		[ "$c" = init ] && specs="write:mid renameat2:last"
		[ "$c" = batch ] && specs="$specs fallocate:first"
		case " $FAULT_CMDS_FIRST " in *" $c "*) ;; *)
			specs=""
			for sp in $FAULT_SAMPLE_SPECS; do
				case $sp in "$c":*) specs="$specs ${sp#*:}" ;; esac
			done ;;
		esac
		for sp in $specs; do
			s=${sp%%:*} rest=${sp#*:} kind=""
			at=${rest%%:*}
			[ "$rest" = "$at" ] || kind=${rest#*:}
			case " $csys " in *" $s "*) ;; *) continue ;; esac
			awk -v s="$s" '$1 == s && ($4 == "home" || $4 == "out") {print $3}' "$FT/d.$c" > "$FT/d.$c.$s"
			n=$(wc -l < "$FT/d.$c.$s")
			[ "$n" -gt 0 ] || continue
			case $at in first) pick=1 ;; mid) pick=$(( (n + 1) / 2 )) ;; last) pick=$n ;; esac
			set -- $kinds
			shift $(( i % $# ))
			i=$((i + 1))
			echo "$c $s ${kind:-$1} $(sed -n "${pick}p" "$FT/d.$c.$s")"
		done >> "$FT/cases"
	done
else
	for c in $cmds; do
		# shellcheck disable=SC2086
		csys=$(fault_syscalls "$c" $syscalls | tr '\n' ' ')
		# shellcheck disable=SC2086
		fault_discover "$FT" "$c" $csys > "$FT/d.$c"
		for s in $csys; do
			if [ "$s" = openat ] && [ "${FAULT_OPENAT:-files}" != all ]; then
				awk -v s="$s" '$1 == s && ($4 == "home" || $4 == "out" || $4 == "in") {print $3}' "$FT/d.$c" | sort -nu > "$FT/d.$c.$s"
			elif [ "$s" = write ] && [ "${FAULT_WRITES:-files}" != all ]; then
				# every write to the home, the output, the input and
				# stdout/stderr; of the rest (SoftHSM's own files:
				# hundreds in init and restore) every 10th
				awk -v s="$s" '$1 == s && ($4 != "token" && $4 != "other" || $3 % 10 == 1) {print $3}' "$FT/d.$c" | sort -nu > "$FT/d.$c.$s"
				n=$(awk -v s="$s" '$1 == s {print $3}' "$FT/d.$c" | sort -n | tail -1)
				echo $(( ${n:-0} + 1 )) >> "$FT/d.$c.$s"
			else
				n=$(awk -v s="$s" '$1 == s {print $3}' "$FT/d.$c" | sort -n | tail -1)
				seq 1 "${n:-0}" > "$FT/d.$c.$s"
				# and one past the end, to see the sweep end
				echo $(( ${n:-0} + 1 )) >> "$FT/d.$c.$s"
			fi
			for k in $kinds; do
				awk -v m="$max" '$1 <= m' "$FT/d.$c.$s" | sed "s/^/$c $s $k /"
			done
		done
	done >> "$FT/cases"
fi
if [ -n "$only" ]; then
	awk -v n="$only" '$4 == n' "$FT/cases" > "$FT/cases.only"
	mv "$FT/cases.only" "$FT/cases"
fi
total=$(wc -l < "$FT/cases")
echo "airca fault harness: $total cases ($mode), $jobs at a time, $AIRCA_BIN"

export -f fault_case fault_env fault_args fault_where fault_target fault_crashed \
	fault_check_out fault_dups fault_verify fairca fault_outkind fault_check_keygen \
	fault_check_file fault_done
export FPY AIRCA_BIN FT
# shellcheck disable=SC2016
xargs -P "$jobs" -L 1 bash -c 'fault_case "$FT" "$@" || true' _ < "$FT/cases" > "$FT/results"

# the table
sort -k1,1 -k2,2 -k3,3 -k4,4n "$FT/results" > "$FT/sorted"
nok=0 nfail=0 nknown=0 nun=0 nnew=0
: > "$FT/table"
printf '%-9s %-9s %-6s %5s  %-7s %-28s %s\n' CMD SYSCALL FAULT N RESULT WHERE DETAIL
while read -r c s f n res where detail; do
	case $res in
	ok) nok=$((nok + 1)) ;;
	unreached) nun=$((nun + 1)); continue ;;
	FAIL)
		if reason=$(known "$c" "$s" "$f" "${where#*:}" "$detail"); then
			res=known nknown=$((nknown + 1))
			detail="$detail [known: $reason]"
		else
			nfail=$((nfail + 1)) nnew=$((nnew + 1))
		fi ;;
	esac
	echo "$c $s $f $n $res" >> "$FT/table"
	[ "$mode" = full ] && [ "$res" = ok ] && [ -z "${FAULT_VERBOSE:-}" ] && continue
	printf '%-9s %-9s %-6s %5s  %-7s %-28s %s\n' "$c" "$s" "$f" "$n" "$res" "$where" "$detail"
done < "$FT/sorted"
echo
# per command and syscall: cases ok, known failures, new failures
printf '%-9s %-9s %6s %6s %6s\n' CMD SYSCALL ok known FAIL
awk '{k=$1" "$2; t[k]++; if ($5=="ok") o[k]++; else if ($5=="known") kn[k]++; else f[k]++}
     END {for (k in t) printf "%s %d %d %d\n", k, o[k], kn[k], f[k]}' "$FT/table" | sort |
while read -r c s o k f; do printf '%-9s %-9s %6d %6d %6d\n' "$c" "$s" "$o" "$k" "$f"; done
echo
echo "summary: $((nok + nfail + nknown)) cases run, $nok ok, $nknown known failures, $nfail new failures, $nun unreached ($mode)"
[ -n "${FAULT_KEEP:-}" ] && echo "case directories kept in $FT"
[ "$nfail" -eq 0 ]
