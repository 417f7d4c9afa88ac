#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# One command from a fresh Debian 12 machine to a running tapkit:
#
#   sudo ./setup.sh demo                     installs the demo's packages only (DEMO_PACKAGES),
#                                            builds without the tests (build-run/), runs the demo
#   sudo ./setup.sh test                     installs the test set (DEMO_ + TEST_PACKAGES), runs
#                                            `make check`: every test tier and lint (README)
#   sudo ./setup.sh deps [demo|test|bench|all]  only installs a set (default: test)
#   sudo ./setup.sh bench                    installs DEMO_ + BENCH_PACKAGES, runs make bench
#                                            (bench/README.md; CI does not run it)
#        ./setup.sh list [demo|test|bench|all]  prints a set, one package a line (no root):
#                                            `apt-get -s install $(./setup.sh list demo)`
#
# Packages come from Debian's archive with apt-get --no-install-recommends; `apt-get update` runs
# only when something is missing, so a second run touches no network.
set -euo pipefail

cd "$(dirname "$0")"

# Debian 12 package names, one array per set; each says why each package is there.
# What `./setup.sh demo` needs (make demo: scripts/demo-tunnel.sh), and every other set builds on.
DEMO_PACKAGES=(
	gcc libc6-dev make cmake pkg-config # the build (CMake, pkg-config finds the three libraries)
	libmnl-dev                          # rtnetlink (the Linux backend)
	libsodium-dev                       # the tunnel's sealed mode (keys)
	libssl-dev                          # the tunnel's sealed mode (the AEAD, libcrypto)
	iproute2                            # ip netns / ip link / ss: the demo's two hosts
	procps                              # sysctl: IPv6 off in the demo's namespaces (quiet output)
	iputils-ping                        # the demo's ping across the tunnel
	iperf3                              # the demo's 2-second TCP transfer across the tunnel
	kmod                                # modprobe tun, when the tun driver is a module not loaded
)

# What `./setup.sh test` (make check) needs on top of DEMO_PACKAGES.
TEST_PACKAGES=(
	build-essential                      # g++ and dpkg-dev: what a contributor's machine has
	libcmocka-dev                        # unit tests
	util-linux                           # unshare, setpriv, mount, prlimit, nsenter (netns tests)
	python3                              # JSON checks and datagram tools in the netns tests
	ethtool                              # kernel vxlan interop: checksum offload off on veth
	clang-format clang-tidy cppcheck     # make lint (C)
	shellcheck                           # make lint (shell scripts)
	git                                  # make lint lists the tracked sources
	gcc-mingw-w64-x86-64 wine wine64     # make test-windows: the Windows build under Wine
	scdoc man-db                         # man pages: rendered by scdoc, checked by man --warnings
	systemd                              # systemd-analyze verify/security on dist/systemd units
	dpkg-dev debhelper fakeroot lintian  # scripts/check-deb.sh: dpkg-buildpackage, lintian
	golang-go                            # bindings/go: the Go binding (cgo) and its tests
	clang libclang-rt-14-dev             # make fuzz: libFuzzer, ASan, UBSan runtimes (tests/fuzz)
	valgrind                             # tests/netns/test_bench_smoke.sh runs bench/run.sh
	gcc-mingw-w64-i686                   # make test-windows: the 32-bit test programs of doctor --program
	osslsigncode openssl                 # make test-windows: a signed test driver file (test_signature.sh)
	wireguard-go wireguard-tools         # sealed v2 against WireGuard (tests/netns/test_wg_handshake.sh)
	gdb                                  # test_tunnel_netns: closes a running tunnel's epoll fd
	python3-dissononce                   # sealed v2 byte-exact against a Noise library (tests/interop/noise_vectors.py)
	faketime                             # test_tunnel_attack_future: a peer whose clock runs fast
	autoconf automake libtool            # scripts/mingw-deps.sh: libsodium's configure (Debian's tarball has none)
	perl debian-archive-keyring          # scripts/mingw-deps.sh: OpenSSL's Configure; apt checks the deb-src lists
)

# What `./setup.sh bench` (bench/run.sh) needs on top of DEMO_PACKAGES: what tapkit is compared
# with, and how it is measured.
BENCH_PACKAGES=(
	openvpn          # OpenVPN 2.6, --dev tap, no cipher and AES-256-GCM
	openssl          # its self-signed certificates, made at run time; openssl speed: the AEAD's cost
	tinc             # tinc 1.0 in switch mode
	valgrind         # callgrind instructions per frame (bench/run.sh, bench/hub.sh)
	python3          # the figures (CPU per GB, RSS, the verdicts) and the results table
	wireguard-go     # wireguard-go as an L3 tunnel, and the kernel vxlan over it (bench/run.sh)
	wireguard-tools  # wg: configures wireguard-go's keys and peer
	linux-perf       # perf stat: system calls per round trip and per byte (bench/syscalls.sh)
)

usage()
{
	echo "usage: sudo ./setup.sh demo | test | bench | deps [demo|test|bench|all]; ./setup.sh list [demo|test|bench|all]" >&2
	exit 2
}

# set_packages SET: the packages of SET into PACKAGES (sorted, each once).
set_packages()
{
	local all=()
	case $1 in
	demo) all=("${DEMO_PACKAGES[@]}") ;;
	test) all=("${DEMO_PACKAGES[@]}" "${TEST_PACKAGES[@]}") ;;
	bench) all=("${DEMO_PACKAGES[@]}" "${BENCH_PACKAGES[@]}") ;;
	all) all=("${DEMO_PACKAGES[@]}" "${TEST_PACKAGES[@]}" "${BENCH_PACKAGES[@]}") ;;
	*) usage ;;
	esac
	mapfile -t PACKAGES < <(printf '%s\n' "${all[@]}" | sort -u)
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
		echo "setup: all packages of the $SET set present"
		return
	fi
	echo "setup: installing (the $SET set) ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update
	apt-get install -y --no-install-recommends "${missing[@]}"
}

[[ $# -ge 1 && $# -le 2 ]] || usage
CMD=$1
case $CMD in
demo | test | bench)
	[[ $# -eq 1 ]] || usage
	SET=$CMD
	;;
deps | list) SET=${2:-test} ;;
*) usage ;;
esac
set_packages "$SET"
if [[ $CMD == list ]]; then
	printf '%s\n' "${PACKAGES[@]}"
	exit 0
fi

if [[ $EUID -ne 0 ]]; then
	echo "setup: needs root (apt-get, network namespaces, TAP devices); run: sudo ./setup.sh $*" >&2
	exit 1
fi
if ! command -v apt-get >/dev/null || ! command -v dpkg-query >/dev/null; then
	echo "setup: this script is for Debian 12 (apt-get); install the equivalents of: ${PACKAGES[*]}" >&2
	exit 1
fi

install_missing
# The integration tests need the tun driver; load it if it is a module and not loaded yet.
if [[ $CMD != deps && ! -c /dev/net/tun ]]; then
	modprobe tun 2>/dev/null || echo "setup: warning: no /dev/net/tun (modprobe tun failed): the netns tests will be skipped" >&2
fi

# The demo and the benchmark run on a build of their own without the tests (they need cmocka and
# more, which those sets leave out).
RUN_BUILD=(BUILD=build-run "CMAKE_ARGS=-DTK_TESTS=OFF -DBUILD_TESTING=OFF")
case $CMD in
demo)
	make demo "${RUN_BUILD[@]}"
	;;
test)
	# Every tier, phase by phase, with a table of the phases at the end (scripts/check.sh).
	make check
	;;
deps) ;;
bench)
	make bench "${RUN_BUILD[@]}"
	;;
esac
