#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# One command from a fresh Debian 12 machine to a running tapkit:
#
#   sudo ./setup.sh demo   installs what is missing, builds, runs the demo
#   sudo ./setup.sh test   installs what is missing, builds, runs every test (normal build and
#                          ASan+UBSan build) and every lint check
#   sudo ./setup.sh deps   only installs what is missing
#   sudo ./setup.sh bench  installs what is missing plus BENCH_PACKAGES, runs make bench
#                          (bench/README.md; CI does not run it)
#
# Packages come from Debian's archive with apt-get; `apt-get update` runs only when something is
# missing, so a second run touches no network.
set -euo pipefail

cd "$(dirname "$0")"

# Debian 12 package names. Why each is here:
PACKAGES=(
	build-essential gcc make cmake pkg-config # the build
	libmnl-dev                                # rtnetlink (the Linux backend)
	libsodium-dev                             # the tunnel's sealed mode (keys)
	libssl-dev                                # the tunnel's sealed mode (the AEAD, libcrypto)
	libcmocka-dev                             # unit tests
	iproute2                                  # ip netns / ip link (tests, demo)
	iputils-ping                              # the demo's ping
	util-linux                                # unshare, setpriv, mount (failure tests)
	python3                                   # JSON checks in the netns tests
	iperf3                                    # TCP transfers through the tunnel (tests, demo)
	ethtool                                   # kernel vxlan interop: checksum offload off on veth
	procps                                    # sysctl, kill
	clang-format clang-tidy cppcheck          # make lint (C)
	shellcheck                                # make lint (shell scripts)
	git                                       # make lint lists the tracked sources
	gcc-mingw-w64-x86-64 wine wine64          # make test-windows: the Windows build under Wine
	gcc-mingw-w64-i686                        # make test-windows: the 32-bit test programs of doctor --program
	osslsigncode openssl                      # make test-windows: a signed test driver file (test_signature.sh)
	scdoc man-db                              # man pages: rendered by scdoc, checked by man --warnings
	systemd                                   # systemd-analyze verify/security on dist/systemd units
	dpkg-dev debhelper fakeroot lintian       # scripts/check-deb.sh: dpkg-buildpackage, lintian
	golang-go                                 # bindings/go: the Go binding (cgo) and its tests
	clang libclang-rt-14-dev                  # make fuzz: libFuzzer, ASan, UBSan runtimes (tests/fuzz)
	gdb                                       # test_tunnel_netns: closes a running tunnel's epoll fd
	wireguard-go wireguard-tools              # sealed mode v2 handshake against WireGuard (tests/netns/test_wg_handshake.sh)
	python3-dissononce                        # sealed mode v2 byte-exact against a Noise library (tests/interop/noise_vectors.py)
)

# Only for `./setup.sh bench` (bench/run.sh): what tapkit is compared with, and how it is measured.
BENCH_PACKAGES=(
	openvpn          # OpenVPN 2.6, --dev tap, no cipher and AES-256-GCM
	openssl          # its self-signed certificates, made at run time
	tinc             # tinc 1.0 in switch mode
	iperf3           # TCP throughput
	iputils-ping     # RTT median and p99
	valgrind         # callgrind instructions per frame (bench/run.sh, bench/hub.sh)
	procps           # pgrep, sysctl
	iproute2         # ip netns, ss
)

usage()
{
	echo "usage: sudo ./setup.sh demo|test|deps|bench" >&2
	exit 2
}

missing_packages()
{
	local p status
	for p in "${PACKAGES[@]}"; do
		status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		[[ $status == "install ok installed" ]] || printf '%s\n' "$p"
	done
}

install_missing()
{
	local missing
	mapfile -t missing < <(missing_packages)
	if [[ ${#missing[@]} -eq 0 ]]; then
		echo "setup: all packages present"
		return
	fi
	echo "setup: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update
	apt-get install -y --no-install-recommends "${missing[@]}"
}

[[ $# -eq 1 ]] || usage
case $1 in
demo | test | deps | bench) ;;
*) usage ;;
esac
if [[ $1 == bench ]]; then
	PACKAGES+=("${BENCH_PACKAGES[@]}")
fi

if [[ $EUID -ne 0 ]]; then
	echo "setup: needs root (apt-get, network namespaces, TAP devices); run: sudo ./setup.sh $1" >&2
	exit 1
fi
if ! command -v apt-get >/dev/null || ! command -v dpkg-query >/dev/null; then
	echo "setup: this script is for Debian 12 (apt-get); install the equivalents of: ${PACKAGES[*]}" >&2
	exit 1
fi

install_missing
# The integration tests need the tun driver; load it if it is a module and not loaded yet.
if [[ ! -c /dev/net/tun ]]; then
	modprobe tun 2>/dev/null || echo "setup: warning: no /dev/net/tun (modprobe tun failed): the netns tests will be skipped" >&2
fi

case $1 in
demo)
	make demo
	;;
test)
	# -k and lint after a failure too: one run reports everything that is wrong.
	rc=0
	make -k test || rc=$?
	make lint || rc=$?
	exit "$rc"
	;;
deps) ;;
bench)
	make bench
	;;
esac
