#!/usr/bin/env bash
# make install into a throw-away DESTDIR, then the installed airca finds its
# own HSM profiles and ceremony scripts from a directory with no source tree
# around: token list, demo, ceremony check and the TUI's script list.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../tui/tmux.bash"

# Nothing may point back into the tree: the binary must find its files itself.
unset AIRCA_PROFILES AIRCA_SCRIPTS AIRCA_HSM AIRCA_HOME

# PREFIX and DESTDIR are honoured (dry run: no rebuild with another DATADIR)
make -s -n -C "$TOP" BUILD="$AIRCA_BUILD" PREFIX=/opt/x DESTDIR=/dest install \
	> "$T/dry.out" 2>&1 || { cat "$T/dry.out"; fail "make -n install"; }
grep -q 'install -m 755 .*/airca /dest/opt/x/bin/airca' "$T/dry.out" || { cat "$T/dry.out"; fail "PREFIX/DESTDIR not honoured"; }

# the real install: default PREFIX (/usr/local) under a DESTDIR, so the
# binary can only find its data beside itself (<bin>/../share/airca)
[ -e /usr/local/share/airca ] && echo "note: /usr/local/share/airca exists on this machine"
make -s -C "$TOP" BUILD="$AIRCA_BUILD" DESTDIR="$T/root" install \
	> "$T/install.out" 2>&1 || { cat "$T/install.out"; fail "make install"; }
P=$T/root/usr/local
BIN=$P/bin/airca
for f in bin/airca share/man/man1/airca.1 share/airca/hsm-profiles/softhsm2.conf \
	share/airca/ceremony-scripts/root-init.ceremony share/doc/airca/README.md \
	share/doc/airca/operator-guide.md share/bash-completion/completions/airca; do
	[ -f "$P/$f" ] || fail "make install did not install $f"
done

R=$T/run
mkdir -p "$R"
cd "$R"
[ ! -e hsm-profiles ] && [ ! -e ceremony-scripts ] || fail "run dir not empty"

"$BIN" --hsm softhsm2 token list > "$T/list.out" 2>&1 || { cat "$T/list.out"; fail "token list"; }
grep -q 'SoftHSM' "$T/list.out" || { cat "$T/list.out"; fail "token list: no SoftHSM slot"; }

# a profile that is nowhere: the message names the installed directory, resolved
rc=0; "$BIN" --hsm nosuch token list 2>"$T/nosuch.err" || rc=$?
[ "$rc" -ne 0 ] || fail "--hsm nosuch succeeded"
grep -qF "$P/share/airca/hsm-profiles" "$T/nosuch.err" || { cat "$T/nosuch.err"; fail "search path lacks the installed profiles"; }
grep -q '\.\.' "$T/nosuch.err" && { cat "$T/nosuch.err"; fail "search path has '..'"; }

"$BIN" ceremony check "$P"/share/airca/ceremony-scripts/*.ceremony > "$T/check.out" 2>&1 || { cat "$T/check.out"; fail "ceremony check"; }

mkdir -p "$R/tmp"
(unset SOFTHSM2_CONF; TMPDIR=$R/tmp "$BIN" demo) > "$T/demo.out" 2>&1 || { tail -20 "$T/demo.out"; fail "demo"; }
grep -q "factory root initialised for 'demo-factory'" "$T/demo.out" || fail "demo: init not narrated"
grep -q "Everything issued" "$T/demo.out" || fail "demo stopped early"

# the TUI, from the same directory: screen 5 lists the installed scripts, none in error
TOP=$R
AIRCA_BIN=$BIN
tui_start
keys 5
tui_wait 'root-init.ceremony'
# the path wraps at 80 columns: compare with the line breaks taken out
screen | sed -n 2,4p | tr -d '\n ' | grep -qF "Ceremonyscriptsin$P/share/airca/ceremony-scripts" || { screen >&2; fail "TUI: scripts not from the install"; }
screen | grep -qiE 'error|refus|\.\.' && { screen >&2; fail "TUI: a script in error"; }
keys q
tui_exited 0
echo "install ok"
