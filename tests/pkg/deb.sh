#!/usr/bin/env bash
# make deb: the Debian package builds offline (dpkg-buildpackage -us -uc -b),
# is lintian-clean for errors and warnings, puts every file in its Debian
# place, and the airca it installs (unpacked into a throw-away root with
# dpkg -x) runs 'airca demo', token list and ceremony check from there.
# Not part of 'make test' (it takes minutes on a loaded machine): 'make test-deb'.
. "$(dirname "$0")/../lib.sh"

for tool in dpkg-buildpackage dh fakeroot lintian; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP: $tool is missing (make deps installs dpkg-dev, debhelper, fakeroot, lintian)"
		exit 0
	fi
done
unset AIRCA_PROFILES AIRCA_SCRIPTS AIRCA_HSM AIRCA_HOME

make -s -C "$TOP" deb >"$T/build.log" 2>&1 || { tail -40 "$T/build.log"; fail "make deb"; }
V=$(sed -n '1s/^airca (\([^)]*\)).*/\1/p' "$TOP/debian/changelog")
DEB=$TOP/build/deb-pkg/airca_${V}_$(dpkg --print-architecture).deb
CHANGES=$TOP/build/deb-pkg/airca_${V}_$(dpkg --print-architecture).changes
[ -f "$DEB" ] || fail "no $DEB"

lintian --fail-on error,warning "$CHANGES" >"$T/lintian.out" 2>&1 ||
	{ cat "$T/lintian.out"; fail "lintian: errors or warnings"; }
grep -E '^[EW]: ' "$T/lintian.out" && fail "lintian: errors or warnings"

dpkg-deb -f "$DEB" Depends | grep -q 'libssl3' || fail "Depends lacks the shared libraries (shlibs)"
dpkg-deb -f "$DEB" Suggests Recommends | grep -q softhsm2 || fail "softhsm2 neither recommended nor suggested"
dpkg-deb -c "$DEB" | awk '{ print $6 }' >"$T/files"
for f in ./usr/bin/airca ./usr/share/man/man1/airca.1.gz \
	./usr/share/airca/hsm-profiles/softhsm2.conf \
	./usr/share/airca/ceremony-scripts/root-init.ceremony \
	./usr/share/doc/airca/copyright ./usr/share/doc/airca/changelog.gz \
	./usr/share/doc/airca/operator-guide.md.gz ./usr/share/doc/airca/verify-journal.sh; do
	grep -qxF "$f" "$T/files" || { cat "$T/files"; fail "the package lacks $f"; }
done
if [ -f "$TOP/docs/completion/airca.bash" ]; then
	grep -qxF ./usr/share/bash-completion/completions/airca "$T/files" || fail "the package lacks the bash completion"
fi

# a throw-away root: the package's files only; run from an empty directory
R=$T/root
dpkg -x "$DEB" "$R"
mkdir -p "$T/run/tmp"
cd "$T/run"
"$R/usr/bin/airca" version >/dev/null || fail "airca version"
"$R/usr/bin/airca" --hsm softhsm2 token list >"$T/list.out" 2>&1 || { cat "$T/list.out"; fail "token list"; }
"$R/usr/bin/airca" ceremony check "$R"/usr/share/airca/ceremony-scripts/*.ceremony >"$T/check.out" 2>&1 ||
	{ cat "$T/check.out"; fail "ceremony check"; }
(unset SOFTHSM2_CONF; TMPDIR=$T/run/tmp "$R/usr/bin/airca" demo) >"$T/demo.out" 2>&1 || { tail -20 "$T/demo.out"; fail "demo"; }
grep -q "Everything issued" "$T/demo.out" || fail "demo stopped early"
echo "deb ok: $(basename "$DEB")"
