#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Installs the build into a DESTDIR staging tree (nothing outside it is written), then builds
# tests/install/consumer.c against the staged tapkit four ways and runs each:
#   pkg-config (shared), pkg-config --static (libtapkit.a + Requires.private libmnl),
#   CMake find_package(tapkit): tapkit::tapkit and tapkit::tapkit_static.
# Env: TK_BUILD_DIR (configured and built), TK_SOURCE_DIR, TK_SANITIZE (1: the libraries are
# built with ASan+UBSan, so the consumers are too).
set -euo pipefail

SRC=${TK_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${TK_BUILD_DIR:-$SRC/build}
CC=${CC:-cc}

fail()
{
	echo "FAIL: $*" >&2
	exit 1
}

for tool in cmake pkg-config "$CC"; do
	command -v "$tool" >/dev/null || { echo "SKIP: $tool missing"; exit 77; }
done
[[ -f $BUILD/CMakeCache.txt ]] || fail "$BUILD is not a configured build directory"

tmp=$(mktemp -d /tmp/tk-install-test.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/root

prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$BUILD/CMakeCache.txt")
[[ -n $prefix ]] || fail "no CMAKE_INSTALL_PREFIX in $BUILD/CMakeCache.txt"
DESTDIR=$dest cmake --install "$BUILD" >"$tmp/install.log" || {
	cat "$tmp/install.log"
	fail "cmake --install"
}
root=$dest$prefix
libdir=$(dirname "$(find "$root" -name libtapkit.a -print -quit)")
[[ -d $libdir ]] || fail "libtapkit.a not installed under $root"

echo "== installed files (under DESTDIR)"
(cd "$dest" && find . -type f -o -type l | sort)

# The pieces an installed tapkit must have.
for f in bin/tapkit include/tapkit.h; do
	[[ -f $root/$f ]] || fail "$f not installed"
done
for f in libtapkit.a libtapkit.so libtapkit.so.0 libtapkit.so.0.1.0 pkgconfig/tapkit.pc \
	cmake/tapkit/tapkitConfig.cmake cmake/tapkit/tapkitConfigVersion.cmake \
	cmake/tapkit/tapkitTargets.cmake cmake/tapkit/tapkitStaticTargets.cmake; do
	[[ -e $libdir/$f ]] || fail "${libdir#"$dest"}/$f not installed"
done
[[ $(readlink "$libdir/libtapkit.so") == libtapkit.so.0 ]] || fail "libtapkit.so is not a link to libtapkit.so.0"
[[ $(readlink "$libdir/libtapkit.so.0") == libtapkit.so.0.1.0 ]] || fail "libtapkit.so.0 is not a link to libtapkit.so.0.1.0"
soname=$(objdump -p "$libdir/libtapkit.so.0.1.0" | awk '$1 == "SONAME" { print $2 }')
[[ $soname == libtapkit.so.0 ]] || fail "SONAME is '$soname', want libtapkit.so.0"
# Only the public API is exported (src/libtapkit.map).
bad=$(nm -D --defined-only "$libdir/libtapkit.so.0.1.0" | awk '$2 ~ /^[TDBR]$/ && $3 !~ /^tk_/ { print $3 }' | grep -v '^_' || true)
[[ -z $bad ]] || fail "libtapkit.so exports non-API symbols: $bad"
"$root/bin/tapkit" --version >/dev/null || fail "installed tapkit --version"
# The systemd units name the installed CLI; the man pages are there when scdoc built them.
for unit in tapkit-tunnel@.service tapkit-watch.service; do
	f=$(find "$dest" -path "*/systemd/system/$unit" -print -quit)
	[[ -n $f ]] || fail "$unit not installed"
	grep -q "^ExecStart=$prefix/bin/tapkit " "$f" || fail "$unit: ExecStart does not name $prefix/bin/tapkit"
done
if command -v scdoc >/dev/null; then
	for f in share/man/man8/tapkit.8 share/man/man5/tapkit.conf.5; do
		[[ -f $root/$f ]] || fail "$f not installed"
	done
fi

san_flags=()
cmake_san=()
if [[ ${TK_SANITIZE:-0} == 1 ]]; then
	# shellcheck disable=SC2054 # the commas belong to -fsanitize's value
	san_flags=(-fsanitize=address,undefined)
	# shellcheck disable=SC2054 # the commas belong to -fsanitize's value
	cmake_san=(-DCMAKE_C_FLAGS=-fsanitize=address,undefined
		-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined)
fi

# What every consumer must print: the context opens, the cause table is there, the name check
# accepts a good name and refuses one longer than IFNAMSIZ-1.
expect=$'ctx_new: TK_OK\nstatus 10: TK_E_ADAPTER_BUSY\nname tap0: TK_OK\nname too long: TK_E_NAME_INVALID'

check_run()
{
	local what=$1 exe=$2 out
	out=$(LD_LIBRARY_PATH=$libdir "$exe") || fail "$what: consumer exited $?"
	[[ $out == "$expect" ]] || fail "$what: consumer printed:"$'\n'"$out"$'\n'"want:"$'\n'"$expect"
	echo "ok: $what"
}

# pkg-config: the .pc names the real prefix; PKG_CONFIG_SYSROOT_DIR maps it into DESTDIR.
export PKG_CONFIG_PATH=$libdir/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest
pkg-config --exists tapkit || fail "pkg-config does not find tapkit"
[[ $(pkg-config --modversion tapkit) == 0.1.0 ]] || fail "pkg-config version $(pkg-config --modversion tapkit)"
grep -q '^Requires.private: libmnl' "$libdir/pkgconfig/tapkit.pc" || fail "tapkit.pc lacks Requires.private: libmnl"
read -ra pc_shared < <(pkg-config --cflags --libs tapkit)
read -ra pc_static < <(pkg-config --static --cflags --libs tapkit)
echo "pkg-config --cflags --libs tapkit: ${pc_shared[*]}"
echo "pkg-config --static --cflags --libs tapkit: ${pc_static[*]}"
"$CC" "${san_flags[@]}" -std=c11 -Wall -Werror -o "$tmp/pc_shared" "$SRC/tests/install/consumer.c" "${pc_shared[@]}"
grep -q 'NEEDED.*libtapkit\.so\.0$' <<<"$(objdump -p "$tmp/pc_shared")" || fail "pkg-config consumer does not need libtapkit.so.0"
check_run "pkg-config, shared" "$tmp/pc_shared"
# -ltapkit would pick the .so next to the .a; -l:libtapkit.a names the archive.
"$CC" "${san_flags[@]}" -std=c11 -Wall -Werror -o "$tmp/pc_static" "$SRC/tests/install/consumer.c" \
	"${pc_static[@]/#-ltapkit/-l:libtapkit.a}"
if grep -q 'NEEDED.*libtapkit' <<<"$(objdump -p "$tmp/pc_static")"; then
	fail "static pkg-config consumer still needs libtapkit.so"
fi
check_run "pkg-config --static" "$tmp/pc_static"
unset PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_PATH

# CMake: the package is relocatable, so CMAKE_PREFIX_PATH may point into DESTDIR.
cmake -S "$SRC/tests/install/cmake-consumer" -B "$tmp/cmake-build" -DCMAKE_PREFIX_PATH="$root" \
	"${cmake_san[@]}" >"$tmp/cmake.log" 2>&1 || {
	cat "$tmp/cmake.log"
	fail "cmake consumer configure"
}
cmake --build "$tmp/cmake-build" >>"$tmp/cmake.log" 2>&1 || {
	cat "$tmp/cmake.log"
	fail "cmake consumer build"
}
grep -q 'NEEDED.*libtapkit\.so\.0$' <<<"$(objdump -p "$tmp/cmake-build/consumer_shared")" ||
	fail "tapkit::tapkit consumer does not need libtapkit.so.0"
check_run "cmake tapkit::tapkit" "$tmp/cmake-build/consumer_shared"
check_run "cmake tapkit::tapkit_static" "$tmp/cmake-build/consumer_static"
echo "PASS: install"
