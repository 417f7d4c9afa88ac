#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Shared by the Windows tunnel scenarios (sourced after lib.sh; not a scenario itself: run.sh
# runs test_*.sh): what test_tunnel.sh sets up inline, as functions on lib.sh's netns_pair and
# wine_in_netns, so a scenario starts from
#
#   namespace L ($NL)                namespace W ($NW: Wine, its services, the emulated driver)
#   10.77.0.2 --------------- veth --------------- 10.77.0.1
#
# with the emulated tap0901 driver's cross-connected "emu one" and "emu two" inside W, and
# everything it started (in ${pids[@]}, in the namespaces, Wine, $tmp) gone at exit.

# wtun_require COMMAND...: skips the scenario (exit 0, saying why) without root, one of the
# commands or the Linux build's tapkit; sets TAPKIT_LINUX (an absolute path).
wtun_require() {
	local name c
	name=$(basename "$0")
	if [[ $(id -u) -ne 0 ]]; then
		echo "SKIP $name: needs root (network namespaces and TAP adapters)"
		exit 0
	fi
	for c in "$@"; do
		command -v "$c" >/dev/null || { echo "SKIP $name: needs $c"; exit 0; }
	done
	TAPKIT_LINUX=${TK_BUILD_DIR:-build}/tapkit
	if [[ ! -x $TAPKIT_LINUX ]]; then
		echo "SKIP $name: needs the Linux build's tapkit in ${TK_BUILD_DIR:-build} (make build, or TK_BUILD_DIR=...)"
		exit 0
	fi
	TAPKIT_LINUX=$(cd "$(dirname "$TAPKIT_LINUX")" && pwd)/tapkit
}

# wtun_begin TAG: skips (exit 0) without root, ip, python3 or the Linux build's tapkit; then the
# namespaces and Wine with the emulated driver in W. Sets NL, NW, tmp (a directory), pids (add
# what you start), TAPKIT_LINUX.
wtun_begin() {
	local name out_dir
	name=$(basename "$0")
	wtun_require ip python3
	emu_build
	NL=tk${1}l$$
	NW=tk${1}w$$
	tmp=$(mktemp -d /tmp/tk-wtun.XXXXXX)
	pids=()
	trap wtun_end EXIT
	netns_pair "$NL" "$NW" 10.77.0.2 10.77.0.1
	wine_in_netns "$NW" "$out_dir"
}

wtun_end() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wine_end
	netns_pair_end "$NL" "$NW"
	[[ $tmp == /tmp/tk-wtun.* ]] && rm -rf "$tmp"
	return 0
}

# W CMD...: runs CMD in namespace W
W() { ip netns exec "$NW" "$@"; }
# winpath PATH: the Unix path as Wine sees it (Z: is the Unix root)
winpath() { echo "Z:${1//\//\\}"; }
# wrun FILE: tapkit.exe tunnel run --config FILE in W, in the foreground (one that should stop at
# once: refused, busy); its stdout and stderr together in $out and $errout, its exit in $rc
# shellcheck disable=SC2034 # read by the scenario's check
wrun() {
	out=$(W timeout 60 wine "$TAPKIT_EXE" tunnel run --config "$(winpath "$1")" 2>&1) && rc=0 || rc=$?
	errout=$out
}
# wst DEV: tapkit.exe tunnel status --dev DEV --json in W; $out, $errout, $rc as tk sets them
# shellcheck disable=SC2034 # read by the scenario's expect and check
wst() {
	out=$(W timeout 60 wine "$TAPKIT_EXE" tunnel status --dev "$1" --json 2>"$tmp/st.err") && rc=0 || rc=$?
	errout=$(<"$tmp/st.err")
}
