#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Sealed mode's two libraries for the Windows build (docs/windows.md, "Sealed mode on Windows"):
# Debian has no mingw-w64 packages of libsodium or OpenSSL 3, so this script cross-builds them,
# static, for x86_64-w64-mingw32, from Debian's own source packages (the same sources and
# patches as the Linux build's libsodium-dev and libssl-dev):
#   1. apt-get update + apt-get source --download-only with a private apt state (its own
#      deb-src list; the system's sources and lists are not touched); apt checks the tarballs
#      against the signed Sources index
#   2. dpkg-source -x (Debian's patches applied)
#   3. libsodium: configure --host=x86_64-w64-mingw32 --disable-shared; OpenSSL: libcrypto only,
#      with every algorithm and feature tapkit does not use switched off (it needs BLAKE2s-256,
#      BLAKE2SMAC and HMAC: src/tunnel/noise.c, cookie.c)
#   4. install into the prefix: include/, lib/libsodium.a, lib/libcrypto.a, lib/pkgconfig/
# The prefix is $TK_MINGW_DEPS, else $HOME/.cache/tapkit/mingw-deps. A stamp file there names
# the source versions and this script's hash; while both libraries and the stamp are there, a
# second run does nothing (TK_MINGW_DEPS_REBUILD=1 forces a rebuild, e.g. after a security update).
# Needs: apt-get, dpkg-dev, autoconf, automake, libtool, gcc-mingw-w64-x86-64, make, perl,
# debian-archive-keyring (setup.sh's test set), and access to deb.debian.org. Runs as any user
# (the private apt state needs no root); as root, apt's _apt user gets the download directories.
#   usage: scripts/mingw-deps.sh [--print-prefix]
set -euo pipefail

prefix=${TK_MINGW_DEPS:-${HOME:-/root}/.cache/tapkit/mingw-deps}
if [[ ${1:-} == --print-prefix ]]; then
	echo "$prefix"
	exit 0
fi
host=x86_64-w64-mingw32
script_hash=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)
stamp=$prefix/tapkit-mingw-deps.stamp
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}

die() { # step, log, fix
	echo "mingw-deps: FAILED: $1" >&2
	[[ -z $2 ]] || { echo "  log: $2 (last lines below)" >&2; tail -n 15 "$2" | sed 's/^/  | /' >&2; }
	echo "  fix: $3" >&2
	exit 1
}

if [[ -z ${TK_MINGW_DEPS_REBUILD:-} && -f $stamp && -f $prefix/lib/libsodium.a &&
	-f $prefix/lib/libcrypto.a ]] && grep -qx "script $script_hash" "$stamp"; then
	echo "mingw-deps: up to date in $prefix ($(grep -E '^(libsodium|openssl) ' "$stamp" | tr '\n' ' '))"
	exit 0
fi

for tool in apt-get apt-cache dpkg-source autoreconf $host-gcc $host-ar $host-ranlib make perl; do
	command -v "$tool" >/dev/null ||
		die "$tool not found" "" "apt-get install -y dpkg-dev autoconf automake libtool gcc-mingw-w64-x86-64 make perl (or: sudo ./setup.sh deps test)"
done
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
[[ -f $keyring ]] || die "$keyring is missing (apt checks the sources' signatures with it)" "" \
	"apt-get install -y debian-archive-keyring"
case $prefix in
/*) ;;
*) die "TK_MINGW_DEPS=$prefix is not an absolute path" "" "give an absolute path" ;;
esac
if top=$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel 2>/dev/null) &&
	[[ $prefix/ == "$top"/* ]]; then
	die "the prefix $prefix is inside the git tree $top" "" "set TK_MINGW_DEPS to a path outside it"
fi

# The prefix is this script's own: it empties it. A directory it did not make is left alone.
marker=$prefix/.tapkit-mingw-deps
if [[ -d $prefix && ! -f $marker ]] && [[ -n $(ls -A "$prefix") ]]; then
	die "the prefix $prefix holds other files (it was not made by this script)" "" \
		"set TK_MINGW_DEPS to a new directory (this script empties its prefix)"
fi
mkdir -p "$prefix"
touch "$marker"

start=$(date +%s)
work=$prefix/work
rm -rf "${prefix:?}/work" "${prefix:?}/include" "${prefix:?}/lib" "${prefix:?}/logs" "$stamp"
mkdir -p "$work/apt/sources.d" "$work/apt/lists/partial" "$work/apt/cache/archives/partial" \
	"$work/src" "$prefix/include" "$prefix/lib/pkgconfig"
log=$work/apt.log

# ---- 1. the sources, through apt with a private state ----
cat >"$work/apt/sources.d/debian-src.sources" <<EOF
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: $keyring

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: $keyring
EOF
apt_opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$work/apt/sources.d"
	-o "Dir::State::Lists=$work/apt/lists" -o "Dir::Cache=$work/apt/cache"
	-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=)
# apt downloads as the _apt user when it runs as root: let it write the download directories
if [[ $(id -u) == 0 ]] && id _apt >/dev/null 2>&1; then
	chown -R _apt "$work/apt/lists" "$work/src"
fi
echo "mingw-deps: fetching Debian's source packages of libsodium and openssl (log: $log)"
apt-get "${apt_opts[@]}" update >"$log" 2>&1 ||
	die "apt-get update of the deb-src lists ($work/apt/sources.d)" "$log" \
		"check the network access to deb.debian.org (apt-get update works?)"

# The newest version in the index first; a mirror that lists a version before its files are
# there (a 404 on the newest security update) falls back to the next one.
fetch() { # package -> prints the version fetched
	local pkg=$1 v
	mapfile -t versions < <(apt-cache "${apt_opts[@]}" showsrc "$pkg" 2>>"$log" |
		sed -n 's/^Version: //p' | sort -u | sort -rV)
	((${#versions[@]})) || return 1
	for v in "${versions[@]}"; do
		if (cd "$work/src" && apt-get "${apt_opts[@]}" source --download-only "$pkg=$v") >>"$log" 2>&1; then
			echo "$v"
			return 0
		fi
		echo "mingw-deps: $pkg $v could not be fetched, trying the next version" >&2
	done
	return 1
}
sodium_v=$(fetch libsodium) || die "apt-get source libsodium" "$log" "check the network access to deb.debian.org"
openssl_v=$(fetch openssl) || die "apt-get source openssl" "$log" "check the network access to deb.debian.org"

# ---- 2. unpack with Debian's patches ----
unpack() { # package version -> directory
	local dsc dir
	dsc=$(ls "$work/src/$1_${2#*:}.dsc")
	dir=$work/src/$1
	dpkg-source -x "$dsc" "$dir" >>"$work/unpack.log" 2>&1 ||
		die "dpkg-source -x $dsc" "$work/unpack.log" "remove $work and run again"
	echo "$dir"
}
sodium_dir=$(unpack libsodium "$sodium_v")
openssl_dir=$(unpack openssl "$openssl_v")

# ---- 3. libsodium ----
log=$work/libsodium.log
echo "mingw-deps: building libsodium $sodium_v for $host (log: $log)"
# Debian's orig tarball is the release tag's tree: configure comes from autoreconf, as in its build
(cd "$sodium_dir" && { [[ -x configure ]] || autoreconf -fi; } && ./configure --host=$host --prefix="$prefix" --disable-shared --enable-static \
	--disable-dependency-tracking --enable-minimal --with-pic=no CFLAGS="-O2" &&
	make -j"$jobs" -C src/libsodium && make -C src/libsodium install &&
	make install-pkgconfigDATA) >"$log" 2>&1 ||
	die "libsodium's configure/make for $host" "$log" \
		"autoreconf and the cross compiler must work: apt-get install -y autoconf automake libtool gcc-mingw-w64-x86-64"

# ---- 3. OpenSSL's libcrypto, with only what tapkit calls ----
# tapkit's calls: EVP_MD "BLAKE2S-256", EVP_MAC "BLAKE2SMAC" and "HMAC" (default provider),
# EVP_CIPHER chacha20-poly1305 and the rest of the EVP layer they stand on. Everything else off.
log=$work/openssl.log
echo "mingw-deps: building OpenSSL $openssl_v's libcrypto for $host (log: $log)"
openssl_off=(no-shared no-tests no-module no-dso no-engine no-legacy
	no-deprecated no-ui-console no-autoload-config no-err no-filenames no-sock no-ssl no-tls
	no-dtls no-ssl3 no-srtp no-ct no-ocsp no-cms no-ts no-srp no-psk no-comp no-cmp
	no-rfc3779 no-async no-ec no-ec2m no-dh no-dsa no-sm2 no-sm3 no-sm4 no-aria
	no-bf no-camellia no-cast no-des no-idea no-md4 no-mdc2 no-ocb no-rc2 no-rc4 no-rc5
	no-rmd160 no-scrypt no-seed no-siphash no-siv no-whirlpool no-gost no-cmac
	no-multiblock no-padlockeng no-capieng no-afalgeng no-devcryptoeng no-ktls)
(cd "$openssl_dir" &&
	./Configure mingw64 --cross-compile-prefix=$host- --prefix="$prefix" --libdir=lib \
		"${openssl_off[@]}" &&
	make -j"$jobs" build_generated && make -j"$jobs" libcrypto.a) >"$log" 2>&1 ||
	die "OpenSSL's Configure/make libcrypto.a for $host" "$log" \
		"the cross compiler and perl must work: apt-get install -y gcc-mingw-w64-x86-64 perl"
mkdir -p "$prefix/include/openssl"
cp "$openssl_dir"/include/openssl/*.h "$prefix/include/openssl/"
cp "$openssl_dir/libcrypto.a" "$prefix/lib/"
sed "s|@prefix@|$prefix|; s|@version@|${openssl_v%%-*}|" >"$prefix/lib/pkgconfig/libcrypto.pc" <<'EOF'
prefix=@prefix@
libdir=${prefix}/lib
includedir=${prefix}/include

Name: OpenSSL-libcrypto
Description: OpenSSL cryptography library (static, mingw-w64; scripts/mingw-deps.sh)
Version: @version@
Libs: -L${libdir} -lcrypto
Libs.private: -lws2_32 -lgdi32 -lcrypt32 -luser32 -ladvapi32 -lbcrypt
Cflags: -I${includedir}
EOF

# ---- 4. the stamp; the sources and build trees go (a few hundred MB) ----
cat >"$stamp" <<EOF
# scripts/mingw-deps.sh built these from Debian's source packages for $host
libsodium $sodium_v
openssl $openssl_v
script $script_hash
EOF
mkdir -p "$prefix/logs"
cp "$work"/*.log "$prefix/logs/"
rm -rf "$work" "$prefix/lib/libsodium.la"
echo "mingw-deps: libsodium $sodium_v and OpenSSL $openssl_v (libcrypto) in $prefix ($(($(date +%s) - start)) s)"
