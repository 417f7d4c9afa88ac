#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Shared by the Windows tunnel scenarios (sourced after lib.sh; not a scenario itself: run.sh
# runs test_*.sh): the set-up of test_tunnel.sh as functions, so a scenario starts from
#
#   namespace L ($NL)                namespace W ($NW: Wine, its services, the emulated driver)
#   10.77.0.2 --------------- veth --------------- 10.77.0.1
#
# with the emulated tap0901 driver's cross-connected "emu one" and "emu two" inside W, and
# everything it started (in ${pids[@]}, in the namespaces, Wine, $tmp) gone at exit.

# wtun_begin TAG: skips (exit 0) without root, ip, python3 or the Linux build's tapkit; then the
# namespaces, Wine in W (Windows' 30 s ServicesPipeTimeout) and the emulated driver. Sets NL,
# NW, tmp (a directory), pids (add what you start), TAPKIT_LINUX, out_dir (the driver's build).
wtun_begin() {
	local name c
	name=$(basename "$0")
	if [[ $(id -u) -ne 0 ]]; then
		echo "SKIP $name: needs root (network namespaces and TAP adapters)"
		exit 0
	fi
	for c in ip python3; do
		command -v "$c" >/dev/null || { echo "SKIP $name: needs $c"; exit 0; }
	done
	TAPKIT_LINUX=${TK_BUILD_DIR:-build}/tapkit
	if [[ ! -x $TAPKIT_LINUX ]]; then
		echo "SKIP $name: needs the Linux build's tapkit (make build, or TK_BUILD_DIR=...)"
		exit 0
	fi
	TAPKIT_LINUX=$(cd "$(dirname "$TAPKIT_LINUX")" && pwd)/tapkit
	local emu
	emu=$(cd "$(dirname "${BASH_SOURCE[0]}")/emulated-driver" && pwd)
	out_dir=$TK_BUILD_WIN/emulated-driver
	bash "$emu/build.sh" "$out_dir" "$TK_BUILD_WIN" || { echo "$name: cannot build the emulated driver"; exit 1; }
	NL=tk${1}l$$
	NW=tk${1}w$$
	tmp=$(mktemp -d /tmp/tk-wtun.XXXXXX)
	pids=()
	trap wtun_end EXIT
	ip netns add "$NL"
	ip netns add "$NW"
	ip -n "$NL" link set lo up
	ip -n "$NW" link set lo up
	ip link add "${1}l$$" netns "$NL" type veth peer name "${1}w$$" netns "$NW"
	ip -n "$NL" addr add 10.77.0.2/24 dev "${1}l$$"
	ip -n "$NW" addr add 10.77.0.1/24 dev "${1}w$$"
	ip -n "$NL" link set "${1}l$$" up
	ip -n "$NW" link set "${1}w$$" up
	# Wine inside W: the wineserver, services and the driver's host start there, so
	# tapkit.exe's sockets are W's
	WINEPREFIX=$(mktemp -d /tmp/tk-wine.XXXXXX)
	export WINEPREFIX WINEDEBUG=-all
	W "$WINESERVER" -p 2>/dev/null || true
	W timeout 120 wine wineboot -i >/dev/null 2>&1
	# the SCM waits ServicesPipeTimeout for a service process: 30 s on Windows, 10 s in Wine
	W wine reg add 'HKLM\System\CurrentControlSet\Control' /v ServicesPipeTimeout /t REG_SZ \
		/d 30000 /f >/dev/null 2>&1
	W "$WINESERVER" -k 2>/dev/null || true
	W "$WINESERVER" -p 2>/dev/null || true
	if W timeout 120 bash "$emu/install.sh" "$out_dir/tapemu.sys" "emu one" "emu two" >/dev/null 2>&1; then
		pass "the emulated tap0901 driver runs inside namespace W"
	else
		fail "the emulated tap0901 driver runs inside namespace W"
		finish
	fi
}

wtun_end() {
	local p ns
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wine_end
	# whatever still runs in the test's namespaces is the test's
	for ns in "$NL" "$NW"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
	done
	ip netns del "$NL" 2>/dev/null || true
	ip netns del "$NW" 2>/dev/null || true
	[[ $tmp == /tmp/tk-wtun.* ]] && rm -rf "$tmp"
	return 0
}

# W CMD...: runs CMD in namespace W
W() { ip netns exec "$NW" "$@"; }
# winpath PATH: the Unix path as Wine sees it (Z: is the Unix root)
winpath() { echo "Z:${1//\//\\}"; }
# wait_log FILE TEXT [SECONDS]: up to SECONDS (30) for TEXT (fixed) in FILE
wait_log() {
	local i
	for ((i = 0; i < ${3:-30} * 4; i++)); do grep -qF "$2" "$1" 2>/dev/null && return 0; sleep 0.25; done
	return 1
}
# wst DEV: tapkit.exe tunnel status --dev DEV --json in W; $out, $errout, $rc as tk sets them
# shellcheck disable=SC2034 # read by the scenario's expect and check
wst() {
	out=$(W timeout 60 wine "$TAPKIT_EXE" tunnel status --dev "$1" --json 2>"$tmp/st.err") && rc=0 || rc=$?
	errout=$(<"$tmp/st.err")
}
