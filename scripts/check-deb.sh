#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Builds the Debian packages from a copy of the working tree (dpkg-buildpackage -us -uc -b writes
# into the parent directory and debian/, so never in the tree itself), then:
#   1. lintian clean at its default level: no error (E:) and no warning (W:) on the .changes;
#   2. the packages hold what they should (tapkit: CLI, man pages, units; libtapkit0:
#      libtapkit.so.0 and its shlibs entry; libtapkit-dev: header, .a, .so link, tapkit.pc, CMake
#      package; golang-github-tapkit-tapkit-dev: the Go binding's source under
#      /usr/share/gocode/src/<module path of bindings/go/go.mod>);
#   3. smoke test without dpkg -i: all extracted with dpkg-deb -x into a temporary root; the CLI
#      runs (--version, man page, and create/list/delete in a network namespace of its own),
#      tests/install/consumer.c built with the extracted pkg-config file runs on the extracted
#      libtapkit.so.0 (LD_LIBRARY_PATH), and the extracted Go binding compiles against the
#      extracted header (go vet, when Go is installed).
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
deb_lib=$tmp/libtapkit0_${version}_$arch.deb
deb_dev=$tmp/libtapkit-dev_${version}_$arch.deb
deb_go=$tmp/golang-github-tapkit-tapkit-dev_${version}_all.deb
debs=("$deb_tool" "$deb_lib" "$deb_dev" "$deb_go")
for d in "${debs[@]}"; do
	[[ -f $d ]] || fail "$(basename "$d") not built"
done
[[ $failed -eq 0 ]] || exit 1
echo "ok: built$(printf ' %s' "${debs[@]##*/}")"

echo "== lintian"
lintian_out=$(lintian "$tmp/tapkit_${version}_$arch.changes" 2>&1 | grep -v '^running with root privileges' || true)
[[ -z $lintian_out ]] || printf '%s\n' "$lintian_out"
if grep -qE '^[EW]: ' <<<"$lintian_out"; then
	fail "lintian reports errors or warnings (above)"
else
	echo "ok: lintian: no errors, no warnings"
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
check_contents "$deb_tool" usr/bin/tapkit usr/share/man/man8/tapkit.8.gz \
	usr/share/man/man5/tapkit.conf.5.gz lib/systemd/system/tapkit-tunnel@.service \
	lib/systemd/system/tapkit-watch.service
check_contents "$deb_lib" "usr/lib/$multiarch/libtapkit.so.0" "usr/lib/$multiarch/libtapkit.so.0.1.0"
go_module=$(sed -n 's/^module[[:space:]]\{1,\}//p' bindings/go/go.mod)
go_dir=usr/share/gocode/src/$go_module
check_contents "$deb_go" "$go_dir/go.mod" "$go_dir/tapkit_core.go" "$go_dir/tapkit_go.h" "$go_dir/causes.go" \
	"$go_dir/tunnel.go"
if dpkg-deb -c "$deb_tool" | grep -q 'libtapkit\.so'; then
	fail "tapkit holds libtapkit.so* (that is libtapkit0's and libtapkit-dev's)"
fi
check_contents "$deb_dev" usr/include/tapkit.h "usr/lib/$multiarch/libtapkit.a" \
	"usr/lib/$multiarch/libtapkit.so" "usr/lib/$multiarch/pkgconfig/tapkit.pc" \
	"usr/lib/$multiarch/cmake/tapkit/tapkitConfig.cmake"
grep -q "^libtapkit 0 libtapkit0 " < <(dpkg-deb --ctrl-tarfile "$deb_lib" | tar -xOf - ./shlibs) ||
	fail "libtapkit0 has no shlibs entry for libtapkit.so.0"
echo "ok: contents checked"

echo "== smoke test (dpkg-deb -x, no dpkg -i)"
root=$tmp/root
for d in "${debs[@]}"; do
	dpkg-deb -x "$d" "$root"
done
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

# The Go binding as a Go user gets it: its source where the package put it, cgo on the extracted
# header and tapkit.pc (vet type-checks the cgo code; it links nothing).
if command -v go >/dev/null; then
	if (cd "$root/$go_dir" && PKG_CONFIG_PATH=$libdir/pkgconfig PKG_CONFIG_SYSROOT_DIR=$root \
		GOCACHE=$tmp/go-cache GOPATH=$tmp/go-path GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local \
		CGO_ENABLED=1 go vet ./...) >"$tmp/go.log" 2>&1; then
		echo "ok: the packaged Go binding ($go_module) compiles against the packaged header"
	else
		cat "$tmp/go.log"
		fail "the packaged Go binding does not compile (go vet, above)"
	fi
else
	echo "note: no Go: the packaged Go binding is not compiled"
fi

[[ $failed -eq 0 ]] && echo "PASS: Debian packages"
exit "$failed"
