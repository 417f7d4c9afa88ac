#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Fault: /dev/net/tun is not there. Hidden by an empty tmpfs over /dev/net in a private mount
# namespace only (never the host's /dev).
#  - At start: `tapkit tunnel run` fails at once with exit 4, TK_E_TUN_MISSING, ENOENT (2) and the
#    modprobe/--device fix, within a few seconds (the cause is not retried for 10 s), leaving
#    nothing behind (no control socket, the UDP port free). `tapkit watch --once` does not need
#    the node: it still configures an adapter made outside (it works over netlink only).
#  - While running: the node hidden from the running tunnel and its adapter deleted: the reopen
#    fails with TK_E_TUN_MISSING (logged with the fix, retried every 2 s), the status shows the
#    adapter closed and counts the peer's frames as `adapter` drops; the tunnel stays up. The node
#    back: the adapter is re-created within a few seconds, traffic flows, the descriptors are as
#    before, and SIGTERM ends it with exit 0 and no leak report.
#
#   +----------- $NA (tunnel in its own mount ns) -----------+               +------- $NB -------+
#   | tka 10.250.9.1/24     /dev/net: tmpfs (hidden) or real  |<== UDP 4789 =>| tkb 10.250.9.2/24 |
#   +--------------------------------------------------------+               +-------------------+

# shellcheck source=tests/netns/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/tunnel_lib.sh
source "$(dirname "$0")/tunnel_lib.sh"
# shellcheck source=tests/netns/fault_lib.sh
source "$(dirname "$0")/fault_lib.sh"
tk_require
command -v nsenter >/dev/null || tk_skip "needs nsenter (util-linux)"
tk_ns_new NA tha
tk_ns_new NB thb
tun_quiet "$NA"
tun_quiet "$NB"
tun_veth "$NA" 10.99.0.1 "$NB" 10.99.0.2
SA=$TK_TMP/a.sock
SB=$TK_TMP/b.sock
A_ARGS=(--dev tka --listen 10.99.0.1:4789 --peer 10.99.0.2:4789 --addr 10.250.9.1/24 --control "$SA")

# ---------------------------------------------------------------------------------------------
tk_case "tunnel run without /dev/net/tun: exit 4, TK_E_TUN_MISSING, ENOENT, fast, nothing left"
start=$SECONDS
# shellcheck disable=SC2016
TK_SHOW="(no /dev/net/tun) tapkit tunnel run ${A_ARGS[*]}" tk_exec "$NA" unshare -m --propagation private sh -c 'mount -t tmpfs -o mode=0755 tkfault /dev/net && exec timeout 30 "$@"' tk-no-tun "$TAPKIT" tunnel run "${A_ARGS[@]}" --json
fault_no_crash "tunnel run without /dev/net/tun"
expect_error TK_E_TUN_MISSING 2 4
expect_fix modprobe --device
expect_stderr /dev/net/tun
((SECONDS - start <= 5)) || tk_fail "expected the refusal within 5 s (a missing node is not transient), it took $((SECONDS - start)) s"
[[ ! -e $SA ]] || tk_fail "expected no control socket left at $SA, it is there"
fault_udp_bound "$NA" 4789 && tk_fail "expected UDP 4789 free after the refusal, it is bound"
expect_no_link "$NA" tka
[[ -c /dev/net/tun ]] || tk_fail "the host's /dev/net/tun is gone: the mount leaked"

tk_case "watch --once without /dev/net/tun: still configures an adapter made outside"
run "$NA" ip tuntap add dev tkw0 mode tap
printf '[Adapter tkw*]\nMTU = 1300\nUp = true\n' >"$TK_TMP/watch.conf"
# shellcheck disable=SC2016
TK_SHOW="(no /dev/net/tun) tapkit watch --config watch.conf --once" tk_exec "$NA" unshare -m --propagation private sh -c 'mount -t tmpfs -o mode=0755 tkfault /dev/net && exec timeout 30 "$@"' tk-no-tun "$TAPKIT" watch --config "$TK_TMP/watch.conf" --once
fault_no_crash "watch --once without /dev/net/tun"
expect_rc 0
[[ $(ns_sysfs "$NA" tkw0 mtu) == 1300 ]] || tk_fail "expected tkw0 at MTU 1300, it is $(ns_sysfs "$NA" tkw0 mtu)"
run "$NA" ip link del tkw0

# ---------------------------------------------------------------------------------------------
tk_case "a running tunnel: the node hidden, then its adapter deleted -> reopen fails, retried"
fault_tun_start "$NA" "${A_ARGS[@]}"
PA=$TK_PID
tun_start "$NB" --dev tkb --listen 10.99.0.2:4789 --peer 10.99.0.1:4789 --addr 10.250.9.2/24 --control "$SB"
PB=$TK_PID
tun_ping "$NA" 10.250.9.2
FDS=$(fault_fds "$PA")
fault_hide_tun "$PA"
run "$NA" ip link del tka
fault_log_has "$PA" "cannot reopen adapter tka \(TK_E_TUN_MISSING: .*fix: .*modprobe.*next try in 2 s" "the failed reopen"
tun_status "$NA" "$SA"
expect_json tunnel.adapter_open false
expect_json tunnel.adapter_reopens 0
ad0=$(json_get "$TK_OUT" tunnel.peers.0.drops.adapter)
ip netns exec "$NB" ping -c 2 -i 0.2 -W 1 10.250.9.1 >/dev/null 2>&1 &&
	tk_fail "expected no answer from 10.250.9.1 while A has no adapter, got one"
fault_wait_json "$PA" "$NA" "$SA" "d['tunnel']['peers'][0]['drops']['adapter'] > $ad0" True 5 "the peer's frames counted as adapter drops"
# at least one more attempt, 2 s later, also fails and is logged
fault_log_count "$PA" "cannot reopen adapter tka \\(TK_E_TUN_MISSING" 2 8 "a second failed reopen, 2 s later"
fault_alive "$PA" "the tunnel without /dev/net/tun"
expect_no_link "$NA" tka

tk_case "the node back: the adapter re-created within 5 s, traffic flows, descriptors as before"
fault_show_tun "$PA"
fault_wait_json "$PA" "$NA" "$SA" "d['tunnel']['adapter_reopens']" 1 5 "tka re-created"
tun_status "$NA" "$SA"
expect_json tunnel.adapter_open true
ip -n "$NA" -o addr show dev tka | grep -q 10.250.9.1/24 || tk_fail "expected 10.250.9.1/24 back on tka"
tun_ping_until "$NA" 10.250.9.2 10
fault_log_has "$PA" "adapter tka recovered \(reopen 1\)" "the recovery"
fault_fds_back "$PA" "$FDS" "the tunnel after /dev/net/tun came back"

tk_case "SIGTERM: exit 0, no leak report, the adapter removed"
fault_stop "$PA" "tunnel A"
expect_no_link "$NA" tka
fault_stop "$PB" "tunnel B"
