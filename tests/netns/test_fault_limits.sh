#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Faults: tight resource limits. For every limit tried the process ends by itself (no signal, no
# timeout), with exit 0 or a clear error (exit 1, a cause, the OS code, a fix), and leaves nothing
# behind (no adapter, no control socket, the UDP port free).
#  - ulimit -n at start-up, 4 to 9 descriptors: `tapkit tunnel run` fails with EMFILE (24) named
#    and "ulimit -n" in the fix, or runs; `watch --once` fails with TK_E_NO_MEMORY; `open`,
#    `doctor` and `list` need one descriptor at a time and work.
#  - the descriptor limit of a running tunnel lowered (prlimit) and its adapter deleted: the reopen
#    fails with TK_E_NO_MEMORY / EMFILE, logged with the fix and retried; the limit raised, the
#    adapter comes back, traffic flows, the descriptors are as before, SIGTERM exits 0.
#  - ulimit -v (not under ASan, which reserves terabytes of address space): a sweep of limits
#    from 2.6 to 6.6 MB, around the smallest that lets the program load, and a 1M-entry MAC table under 30 MB, which
#    must fail with TK_E_NO_MEMORY "cannot allocate", and under 400 MB, which must run.
#
#   +------- $NA -------+   veth 10.99.0.0/24   +------- $NB -------+
#   | tka 10.250.10.1   |<=== plain UDP 4789 ==>| tkb 10.250.10.2   |
#   +-------------------+                       +-------------------+

# shellcheck source=tests/netns/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/tunnel_lib.sh
source "$(dirname "$0")/tunnel_lib.sh"
# shellcheck source=tests/netns/fault_lib.sh
source "$(dirname "$0")/fault_lib.sh"
tk_require
command -v prlimit >/dev/null || tk_skip "needs prlimit (util-linux)"
tk_ns_new NA lma
tk_ns_new NB lmb
tun_quiet "$NA"
tun_quiet "$NB"
tun_veth "$NA" 10.99.0.1 "$NB" 10.99.0.2
SA=$TK_TMP/a.sock
SB=$TK_TMP/b.sock
A_ARGS=(--dev tka --listen 10.99.0.1:4789 --peer 10.99.0.2:4789 --addr 10.250.10.1/24 --control "$SA")

# nothing_left WHAT: a refused start left no adapter, no control socket, no bound port.
nothing_left()
{
	expect_no_link "$NA" tka
	[[ ! -e $SA ]] || tk_fail "$1: expected no control socket left at $SA, it is there"
	! fault_udp_bound "$NA" 4789 || tk_fail "$1: expected UDP 4789 free, it is bound"
}

# A start that did not fail runs until stopped: end it and check it the same way.
# limited_start LIMIT ARGS...: sets LIMITED_RAN=1 when the tunnel came up.
limited_start()
{
	local limit=$1
	shift
	LIMITED_RAN=0
	tk_spawn "$NA" bash -c "$FAULT_CLOSE_FDS"'ulimit '"$limit"' && exec "$@"' fault-limited "$TAPKIT" tunnel run "$@"
	local pid=$TK_PID i
	for ((i = 0; i < 200; i++)); do
		grep -q '^tunnel .* running' "$TK_TMP/$pid.out" 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	if grep -q '^tunnel .* running' "$TK_TMP/$pid.out" 2>/dev/null; then
		LIMITED_RAN=1
		fault_stop "$pid" "tunnel run under ulimit $limit, stopped"
	else
		tk_wait_exit "$pid" 10
		fault_no_crash "tunnel run under ulimit $limit"
	fi
	nothing_left "ulimit $limit"
}

# ---------------------------------------------------------------------------------------------
tk_case "ulimit -n 4..9 at start: EMFILE named with 'ulimit -n' as the fix, or it runs; no crash"
ran=0
for n in 4 5 6 7 8 9; do
	limited_start "-n $n" "${A_ARGS[@]}"
	if [[ $LIMITED_RAN == 1 ]]; then
		ran=1
		continue
	fi
	# descriptors inherited from the test runner leave fewer: the loader may fail first
	fault_loader_failed && continue
	expect_rc 1
	expect_errno 24
	cause=$(err_line cause | awk '{print $1}')
	op=$(sed -n 's/^tapkit: \([^"]*\) ".*/\1/p' <<<"$TK_ERR" | head -n 1)
	[[ $cause == TK_E_NO_MEMORY ]] ||
		tk_fail "ulimit -n $n: expected cause TK_E_NO_MEMORY for EMFILE from '$op', got '$cause'"
	expect_fix "ulimit -n"
done
[[ $ran == 1 ]] || tk_log "(no limit up to 9 descriptors let the tunnel run)"
limited_start "-n 64" "${A_ARGS[@]}"
[[ $LIMITED_RAN == 1 ]] || tk_fail "expected the tunnel to run with 64 descriptors, it did not"

tk_case "ulimit -n 4: watch --once fails clearly (TK_E_NO_MEMORY); open, doctor and list work"
run "$NA" ip tuntap add dev tkl0 mode tap
printf '[Adapter tkl*]\nMTU = 1300\n' >"$TK_TMP/watch.conf"
fault_limited "$NA" "-n 4" 20 watch --config "$TK_TMP/watch.conf" --once
fault_no_crash "watch --once under ulimit -n 4"
expect_error TK_E_NO_MEMORY 24 1
expect_fix "ulimit -n"
for cmd in "open tkl1 --timeout 1" "doctor tkl0" "list"; do
	# shellcheck disable=SC2086 # words of the command
	fault_limited "$NA" "-n 4" 20 $cmd
	fault_no_crash "$cmd under ulimit -n 4"
	expect_rc 0
done
run "$NA" ip link del tkl0

# ---------------------------------------------------------------------------------------------
tk_case "a running tunnel's descriptor limit lowered, its adapter deleted: reopen fails, retried"
tun_start "$NA" "${A_ARGS[@]}"
PA=$TK_PID
tun_start "$NB" --dev tkb --listen 10.99.0.2:4789 --peer 10.99.0.1:4789 --addr 10.250.10.2/24 --control "$SB"
PB=$TK_PID
tun_ping "$NA" 10.250.10.2
FDS=$(fault_fds "$PA")
tapfd=""
for f in "/proc/$PA/fd/"*; do
	[[ $(readlink "$f") == /dev/net/tun ]] && tapfd=${f##*/}
done
[[ -n $tapfd ]] || tk_fail "set-up: no /dev/net/tun descriptor in pid $PA"
for ((n = 0; n < tapfd; n++)); do
	[[ -e /proc/$PA/fd/$n ]] || tk_skip "descriptor $n below the adapter's ($tapfd) is free: cannot starve only the reopen"
done
# The soft limit becomes the adapter's own descriptor number: every lower one is in use, so once
# the adapter's is closed the lowest free number is not allowed and no reopen fits. (Descriptors
# inherited above it stay open: a limit never closes anything.)
tk_pretty host prlimit --pid "$PA" --nofile="$tapfd:"
prlimit --pid "$PA" --nofile="$tapfd:" || tk_fail "set-up: prlimit failed"
run "$NA" ip link del tka
fault_log_has "$PA" "cannot reopen adapter tka \(TK_E_NO_MEMORY: .*fix: .*ulimit -n.*next try in 2 s" "the reopen refused for descriptors"
fault_log_has "$PA" "os_code=24" "EMFILE in the log"
fault_log_count "$PA" "cannot reopen adapter tka \(TK_E_NO_MEMORY" 2 8 "a second attempt 2 s later"
fault_alive "$PA" "the tunnel out of descriptors"
t0=$(awk '{print $14 + $15}' "/proc/$PA/stat")
sleep 1
t1=$(awk '{print $14 + $15}' "/proc/$PA/stat")
((t1 - t0 < 20)) || tk_fail "expected the tunnel idle while it waits to retry, it used $((t1 - t0)) ticks of CPU in 1 s"
# A status request needs a descriptor too: accept(2) fails with EMFILE and the connection stays
# queued; the listening socket then stays readable and must not make the loop spin.
ip netns exec "$NA" timeout 2 "$TAPKIT" tunnel status --control "$SA" >/dev/null 2>&1 || true
t0=$(awk '{print $14 + $15}' "/proc/$PA/stat")
sleep 1
t1=$(awk '{print $14 + $15}' "/proc/$PA/stat")
((t1 - t0 < 20)) ||
	tk_fail "out of descriptors, a queued status request made the tunnel spin ($((t1 - t0)) CPU ticks in 1 s)"

tk_case "the limit raised: the adapter is back within 5 s, traffic flows, descriptors as before"
tk_pretty host prlimit --pid "$PA" --nofile=1024:
prlimit --pid "$PA" --nofile=1024: || tk_fail "set-up: prlimit failed"
fault_wait_json "$PA" "$NA" "$SA" "d['tunnel']['adapter_reopens']" 1 5 "tka re-created"
tun_ping_until "$NA" 10.250.10.2 10
fault_log_has "$PA" "adapter tka recovered \(reopen 1\)" "the recovery"
fault_fds_back "$PA" "$FDS" "the tunnel after its descriptor limit was raised"
fault_stop "$PA" "tunnel A"
fault_stop "$PB" "tunnel B"

# ---------------------------------------------------------------------------------------------
if [[ $FAULT_ASAN == 1 ]]; then
	tk_log "(ulimit -v skipped: this is the ASan build, whose shadow memory needs terabytes of address space)"
	exit 0
fi
tk_case "ulimit -v sweep 2.6..6.6 MB: the loader fails, or tapkit fails clearly, or it runs"
clean_fail=0 ran=0 loader=0
for kb in $(seq 2600 200 6600); do
	limited_start "-v $kb" "${A_ARGS[@]}"
	if [[ $LIMITED_RAN == 1 ]]; then
		ran=$((ran + 1))
	elif fault_loader_failed; then
		loader=$((loader + 1))
	else
		expect_rc 1
		grep -qE '^tapkit: ' <<<"$TK_ERR" || tk_fail "ulimit -v $kb: expected a 'tapkit: ...' error line"
		if [[ -n $(err_line cause) ]]; then
			[[ $(err_line cause) == TK_E_NO_MEMORY* ]] || tk_fail "ulimit -v $kb: expected TK_E_NO_MEMORY, got '$(err_line cause)'"
			[[ -n $(err_line fix) ]] || tk_fail "ulimit -v $kb: no fix: line"
		else
			# before the library runs, the CLI itself can only say this much
			expect_stderr "out of memory"
		fi
		clean_fail=$((clean_fail + 1))
	fi
done
tk_log "ulimit -v sweep: $loader loader failures, $clean_fail clear tapkit failures, $ran ran"

tk_case "ulimit -v 30 MB with a 1M-entry MAC table: TK_E_NO_MEMORY 'cannot allocate', exit 1"
cat >"$TK_TMP/big.conf" <<EOF
[Interface]
Name = tka
ListenAddress = 10.99.0.1:4789
MACTableSize = 1048576
ControlSocket = $SA

[Peer]
Endpoint = 10.99.0.2:4789
EOF
limited_start "-v 30000" --config "$TK_TMP/big.conf"
[[ $LIMITED_RAN == 0 ]] || tk_fail "expected a 1M-entry MAC table not to fit in 30 MB, the tunnel ran"
expect_error TK_E_NO_MEMORY - 1
expect_stderr "cannot allocate"

tk_case "ulimit -v 400 MB with the same table: it runs"
limited_start "-v 400000" --config "$TK_TMP/big.conf"
[[ $LIMITED_RAN == 1 ]] || tk_fail "expected the tunnel to run in 400 MB, it did not"
