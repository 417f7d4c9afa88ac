#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Builds the Debian packages from a copy of the working tree (dpkg-buildpackage -us -uc -b writes
# into the parent directory and debian/, so never in the tree itself), then:
#   1. lintian: no error (E:) on the .changes (warnings are printed);
#   2. the packages hold what they should (tapkit: CLI, libtapkit.so.0, man pages, units;
#      libtapkit-dev: header, .a, .so link, tapkit.pc, CMake package);
#   3. smoke test without dpkg -i: both extracted with dpkg-deb -x into a temporary root; the CLI
#      runs (--version, man page, and create/list/delete in a network namespace of its own), and
#      tests/install/consumer.c built with the extracted pkg-config file runs on the extracted
#      libtapkit.so.0 (LD_LIBRARY_PATH).
# Usage: scripts/check-deb.sh   (about a minute). Exit 77 (skip) without the packaging tools
# (Debian packages dpkg-dev debhelper lintian fakeroot).
set -euo pipefail
export LC_ALL=C.UTF-8

cd "$(dirname "$0")/.."

for tool in dpkg-buildpackage dh lintian dpkg-deb fakeroot git pkg-config cc; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP: $tool missing (apt-get install dpkg-dev debhelper lintian fakeroot)"
		exit 77
	fi
done

tmp=$(mktemp -d /tmp/tk-check-deb.XXXXXX)
ns=tkdeb$$
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup()
{
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
failed=0
fail()
{
	echo "FAIL: $*"
	failed=1
}

version=$(dpkg-parsechangelog -l debian/changelog -S Version)
tree=$tmp/tapkit-$version
mkdir -p "$tree"
# The tracked files and the new ones not ignored: what a release tarball would hold.
git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C "$tree"

echo "== dpkg-buildpackage -us -uc -b"
if ! (cd "$tree" && dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1; then
	tail -40 "$tmp/build.log"
	echo "FAIL: dpkg-buildpackage (log above)"
	exit 1
fi
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb_tool=$tmp/tapkit_${version}_$arch.deb
deb_dev=$tmp/libtapkit-dev_${version}_$arch.deb
for d in "$deb_tool" "$deb_dev"; do
	[[ -f $d ]] || fail "$(basename "$d") not built"
done
[[ $failed -eq 0 ]] || exit 1
echo "ok: built $(basename "$deb_tool") $(basename "$deb_dev")"

echo "== lintian"
lintian_out=$(lintian "$tmp/tapkit_${version}_$arch.changes" 2>&1 | grep -v '^running with root privileges' || true)
[[ -z $lintian_out ]] || printf '%s\n' "$lintian_out"
if grep -q '^E: ' <<<"$lintian_out"; then
	fail "lintian reports errors"
else
	echo "ok: lintian: no errors"
fi

echo "== contents"
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
check_contents()
{
	local deb=$1 f list
	shift
	list=$(dpkg-deb -c "$deb" | awk '{ print $6 }')
	for f in "$@"; do
		grep -qxF "./$f" <<<"$list" || fail "$(basename "$deb") lacks /$f"
	done
}
check_contents "$deb_tool" usr/bin/tapkit "usr/lib/$multiarch/libtapkit.so.0" \
	"usr/lib/$multiarch/libtapkit.so.0.1.0" usr/share/man/man8/tapkit.8.gz \
	usr/share/man/man5/tapkit.conf.5.gz lib/systemd/system/tapkit-tunnel@.service \
	lib/systemd/system/tapkit-watch.service
check_contents "$deb_dev" usr/include/tapkit.h "usr/lib/$multiarch/libtapkit.a" \
	"usr/lib/$multiarch/libtapkit.so" "usr/lib/$multiarch/pkgconfig/tapkit.pc" \
	"usr/lib/$multiarch/cmake/tapkit/tapkitConfig.cmake"
grep -q "libtapkit 0 tapkit" < <(dpkg-deb --ctrl-tarfile "$deb_tool" | tar -xOf - ./shlibs) ||
	fail "tapkit has no shlibs entry for libtapkit.so.0"
echo "ok: contents checked"

echo "== smoke test (dpkg-deb -x, no dpkg -i)"
root=$tmp/root
dpkg-deb -x "$deb_tool" "$root"
dpkg-deb -x "$deb_dev" "$root"
libdir=$root/usr/lib/$multiarch
tk=$root/usr/bin/tapkit
out=$(LD_LIBRARY_PATH=$libdir "$tk" --version) || fail "tapkit --version exited $?"
[[ $out == "tapkit $version" ]] || fail "tapkit --version printed '$out'"
grep -q 'Exec.*=/usr/bin/tapkit ' "$root/lib/systemd/system/tapkit-watch.service" ||
	fail "tapkit-watch.service does not run /usr/bin/tapkit"
if command -v man >/dev/null; then
	grep -q 'tapkit doctor' <<<"$(man -l "$root/usr/share/man/man8/tapkit.8.gz" 2>/dev/null)" ||
		fail "the packaged tapkit(8) does not render"
fi
if [[ $EUID -eq 0 ]] && command -v ip >/dev/null && [[ -c /dev/net/tun ]]; then
	ip netns add "$ns"
	ip netns exec "$ns" "$tk" create tkdeb0 >/dev/null || fail "packaged tapkit create"
	grep -q '^tkdeb0 ' <<<"$(ip netns exec "$ns" "$tk" list)" || fail "packaged tapkit list does not show tkdeb0"
	ip netns exec "$ns" "$tk" delete tkdeb0 >/dev/null || fail "packaged tapkit delete"
	echo "ok: packaged CLI: create, list, delete in namespace $ns"
else
	echo "note: not root or no /dev/net/tun: the create/list/delete smoke test is left out"
fi
# The library: a consumer built against the extracted -dev package, run on the extracted .so.
read -ra flags < <(PKG_CONFIG_PATH=$libdir/pkgconfig PKG_CONFIG_SYSROOT_DIR=$root pkg-config --cflags --libs tapkit)
cc -std=c11 -Wall -Werror -o "$tmp/consumer" tests/install/consumer.c "${flags[@]}" || fail "consumer build"
if [[ -x $tmp/consumer ]]; then
	# captured first: `ldd | grep -q` under pipefail fails when grep quits before ldd is done
	grep -q "libtapkit.so.0 => $libdir/libtapkit.so.0" <<<"$(LD_LIBRARY_PATH=$libdir ldd "$tmp/consumer")" ||
		fail "consumer does not load the packaged libtapkit.so.0"
	out=$(LD_LIBRARY_PATH=$libdir "$tmp/consumer") || fail "consumer exited $?"
	grep -q '^name too long: TK_E_NAME_INVALID$' <<<"$out" || fail "consumer printed: $out"
	echo "ok: consumer on the packaged libtapkit.so.0"
fi

[[ $failed -eq 0 ]] && echo "PASS: Debian packages"
exit "$failed"
