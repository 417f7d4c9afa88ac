#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Shared by the Wine scenario tests: one fresh Wine prefix per suite (deleted by a trap), one
# wineserver kept up for the suite (wineserver -p) and stopped at the end, and helpers that run
# tapkit.exe and check its JSON. Headless: no X display is needed for console programs.
set -euo pipefail

TK_BUILD_WIN=${TK_BUILD_WIN:-build-win}
TAPKIT_EXE=$TK_BUILD_WIN/tapkit.exe
CLASS='HKLM\SYSTEM\CurrentControlSet\Control\Class\{4D36E972-E325-11CE-BFC1-08002BE10318}'
NETWORK='HKLM\SYSTEM\CurrentControlSet\Control\Network\{4D36E972-E325-11CE-BFC1-08002BE10318}'
WINESERVER=$(command -v wineserver || echo /usr/lib/wine/wineserver)
failures=0

wine_end() {
	"$WINESERVER" -k 2>/dev/null || true
	[[ -n ${WINEPREFIX:-} && $WINEPREFIX == /tmp/tk-wine.* ]] && rm -rf "$WINEPREFIX"
	return 0
}

wine_begin() {
	[[ -x $TAPKIT_EXE ]] || { echo "missing $TAPKIT_EXE: run make windows" >&2; exit 1; }
	WINEPREFIX=$(mktemp -d /tmp/tk-wine.XXXXXX)
	export WINEPREFIX WINEDEBUG=-all
	trap wine_end EXIT
	# Persistent server first (it would otherwise exit 3 s after each program), then the
	# prefix's first boot (about 10 s).
	"$WINESERVER" -p 2>/dev/null || true
	timeout 120 wine wineboot -i >/dev/null 2>&1
}

# tk ARGS...: runs tapkit.exe; stdout in $out, stderr in $errout, exit code in $rc.
tk() {
	local e
	e=$(mktemp)
	rc=0
	out=$(timeout 60 wine "$TAPKIT_EXE" "$@" 2>"$e") || rc=$?
	errout=$(<"$e")
	rm -f "$e"
}

pass() { printf '  ok   %s\n' "$1"; }
fail() {
	printf '  FAIL %s\n' "$1"
	[[ -n ${2:-} ]] && printf '       %s\n' "$2"
	failures=$((failures + 1))
}

# expect DESCRIPTION PYTHON-EXPRESSION: evaluates the expression on the JSON in $out (as `d`).
expect() {
	if python3 -c 'import json, sys; d = json.loads(sys.argv[2]); sys.exit(0 if eval(sys.argv[1]) else 1)' "$2" "$out" 2>/dev/null; then
		pass "$1"
	else
		fail "$1" "stdout: ${out:0:600}"
	fi
}

# check DESCRIPTION COMMAND...: a shell condition.
check() {
	local what=$1
	shift
	# rc and errout are tk's: unset when the condition ran no tk (set -u must not end the script)
	local e=${errout:-}
	if "$@"; then pass "$what"; else fail "$what" "rc=${rc:-} stderr: ${e:0:600}"; fi
}

# doctor_until TEXT: runs doctor --json until its output contains TEXT (at most 10 times, 1 s
# apart). Wine's service manager answers OpenService with 1060 for a moment after a service was
# created or changed (measured with Wine 8); this waits that out, bounded.
doctor_until() {
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		tk doctor --json
		grep -qF "$1" <<<"$out" && return 0
		sleep 1
	done
	return 0 # the checks that follow report what was seen
}

# A check of doctor --json by id (and object): status and cause.
doctor_check() { # ID OBJECT STATUS [CAUSE]
	local cause=${4:-}
	expect "doctor: $1 ${2:+($2) }is $3${cause:+ with $cause}" \
		"any(c['id'] == '$1' and ('$2' == '' or c['object'] == '$2') and c['status'] == '$3' and ('$cause' == '' or c['cause'] == '$cause') for c in d['checks'])"
}

# add_adapter SUBKEY COMPONENT GUID [NAME]
add_adapter() {
	wine reg add "$CLASS\\$1" /v ComponentId /t REG_SZ /d "$2" /f >/dev/null
	wine reg add "$CLASS\\$1" /v NetCfgInstanceId /t REG_SZ /d "$3" /f >/dev/null
	wine reg add "$CLASS\\$1" /v AllowNonAdmin /t REG_SZ /d 1 /f >/dev/null
	wine reg add "$CLASS\\$1" /v DriverDesc /t REG_SZ /d "TAP-Windows Adapter V9" /f >/dev/null
	if [[ -n ${4:-} ]]; then
		wine reg add "$NETWORK\\$3\\Connection" /v Name /t REG_SZ /d "$4" /f >/dev/null
	fi
}

# emu_build: builds the emulated tap0901 driver and its test tools (emulated-driver/build.sh)
# into out_dir=$TK_BUILD_WIN/emulated-driver; a scenario cannot go on without them (exit 1).
emu_build() {
	out_dir=$TK_BUILD_WIN/emulated-driver
	bash "$(dirname "${BASH_SOURCE[0]}")/emulated-driver/build.sh" "$out_dir" "$TK_BUILD_WIN" ||
		{ echo "$(basename "$0"): cannot build the emulated driver"; exit 1; }
}

# emu_install OUT_DIR: registers the emulated tap0901 driver that emulated-driver/build.sh built
# into OUT_DIR, with the adapters "emu one" and "emu two", and starts it; without it the suite
# cannot go on.
# emu_install_run OUT_DIR [NS]: emulated-driver/install.sh (in namespace NS when given), its
# output in $EMU_INSTALL_LOG. A loaded machine has made the prefix's first driver start fail
# without a word (CI, once in 17 scenarios): the failing step is printed, and the install is
# tried once more after a restart of the wineserver, saying so. The driver's own behaviour is
# asserted by the scenarios, not here.
emu_install_run() {
	local out=$1 ns=${2:-} try
	local -a in=()
	[[ -n $ns ]] && in=(ip netns exec "$ns")
	EMU_INSTALL_LOG=$(mktemp /tmp/tk-emu-install.XXXXXX)
	for try in 1 2; do
		if "${in[@]}" timeout 240 bash "$(dirname "${BASH_SOURCE[0]}")/emulated-driver/install.sh" \
			"$out/tapemu.sys" "emu one" "emu two" >>"$EMU_INSTALL_LOG" 2>&1; then
			rm -f "$EMU_INSTALL_LOG"
			return 0
		fi
		echo "  emulated driver install, try $try failed (exit $?): $(tail -3 "$EMU_INSTALL_LOG" | tr '\n' ' ')"
		((try == 1)) || return 1
		echo "  restarting the wineserver and trying again"
		"${in[@]}" "$WINESERVER" -k 2>/dev/null || true
		"${in[@]}" "$WINESERVER" -w 2>/dev/null || true
		"${in[@]}" "$WINESERVER" -p 2>/dev/null || true
	done
}

emu_install() {
	if emu_install_run "$1"; then
		pass "the emulated tap0901 driver is registered and its service runs"
	else
		fail "the emulated tap0901 driver is registered and its service runs"
		finish
	fi
}

finish() {
	if ((failures)); then
		echo "$(basename "$0"): $failures check(s) failed"
		exit 1
	fi
	echo "$(basename "$0"): all checks passed"
}

# ---- Wine in a network namespace, next to a Linux peer (test_go_tunnel.sh) ----
# netns_pair L W LADDR WADDR: namespaces L and W (loopback up) joined by a veth pair, LADDR/24
# on L's end and WADDR/24 on W's; netns_pair_end deletes them and kills what still runs there.
netns_pair() {
	ip netns add "$1"
	ip netns add "$2"
	ip -n "$1" link set lo up
	ip -n "$2" link set lo up
	ip link add "vl$$" netns "$1" type veth peer name "vw$$" netns "$2"
	ip -n "$1" addr add "$3/24" dev "vl$$"
	ip -n "$2" addr add "$4/24" dev "vw$$"
	ip -n "$1" link set "vl$$" up
	ip -n "$2" link set "vw$$" up
}
netns_pair_end() {
	for ns in "$@"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null || true
		ip netns del "$ns" 2>/dev/null || true
	done
}

# wine_in_netns NS OUT_DIR: a fresh prefix whose wineserver, services and emulated tap0901
# driver (built into OUT_DIR, adapters "emu one" and "emu two") run in namespace NS, so the
# sockets of the programs started there with `ip netns exec NS wine ...` are NS's. wine_end
# (the caller's trap) removes the prefix. Without the driver the suite cannot go on.
wine_in_netns() {
	local ns=$1
	WINEPREFIX=$(mktemp -d /tmp/tk-wine.XXXXXX)
	export WINEPREFIX WINEDEBUG=-all
	ip netns exec "$ns" "$WINESERVER" -p 2>/dev/null || true
	ip netns exec "$ns" timeout 120 wine wineboot -i >/dev/null 2>&1
	# The SCM waits ServicesPipeTimeout for a service process: 30 s on Windows, 10 s in Wine
	# (read as a string when services.exe starts), too short on a loaded machine.
	ip netns exec "$ns" wine reg add 'HKLM\System\CurrentControlSet\Control' /v ServicesPipeTimeout \
		/t REG_SZ /d 30000 /f >/dev/null 2>&1
	ip netns exec "$ns" "$WINESERVER" -k 2>/dev/null || true
	ip netns exec "$ns" "$WINESERVER" -w 2>/dev/null || true # gone before the next one starts
	ip netns exec "$ns" "$WINESERVER" -p 2>/dev/null || true
	if emu_install_run "$2" "$ns"; then
		pass "the emulated tap0901 driver runs inside namespace $ns"
	else
		fail "the emulated tap0901 driver runs inside namespace $ns" "install.sh: $(tail -5 "$EMU_INSTALL_LOG" | tr '\n' ' ')"
		finish
	fi
}

# wait_log FILE TEXT: up to 30 s for TEXT in FILE
wait_log() {
	for _ in $(seq 60); do grep -qF "$2" "$1" 2>/dev/null && return 0; sleep 0.5; done
	return 1
}
