#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Faults under the tunnel (plain mode): the underlay veth down and up again on either side, and the
# peer's process killed with SIGKILL and started again. In each case the tunnel keeps running
# (same pid, no restart), counts what it could not send with the right reason, names the cause in
# its log, carries traffic again within a bounded time once the fault is gone, and holds as many
# descriptors as before; at the end it exits 0 on SIGTERM with no sanitizer or leak report.
#
#   +------- $NA -------+   veth ul0 10.99.0.0/24   +------- $NB -------+
#   | tka 10.250.8.1/24 |<==== plain UDP 4789 =====>| tkb 10.250.8.2/24 |
#   +-------------------+                           +-------------------+

# shellcheck source=tests/netns/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/tunnel_lib.sh
source "$(dirname "$0")/tunnel_lib.sh"
# shellcheck source=tests/netns/fault_lib.sh
source "$(dirname "$0")/fault_lib.sh"
tk_require
tk_ns_new NA ula
tk_ns_new NB ulb
tun_quiet "$NA"
tun_quiet "$NB"
tun_veth "$NA" 10.99.0.1 "$NB" 10.99.0.2
SA=$TK_TMP/a.sock
SB=$TK_TMP/b.sock
B_ARGS=(--dev tkb --listen 10.99.0.2:4789 --peer 10.99.0.1:4789 --addr 10.250.8.2/24 --control "$SB")
tun_start "$NA" --dev tka --listen 10.99.0.1:4789 --peer 10.99.0.2:4789 --addr 10.250.8.1/24 --control "$SA"
PA=$TK_PID
tun_start "$NB" "${B_ARGS[@]}"
PB=$TK_PID
tun_ping "$NA" 10.250.8.2
FDS=$(fault_fds "$PA")
a_peer()
{
	tun_json "$NA" "$SA" "d['tunnel']['peers'][0]$1"
}

# ---------------------------------------------------------------------------------------------
tk_case "our underlay down: sends fail (ENETUNREACH), counted as 'unreachable', logged once"
u0=$(a_peer "['drops']['unreachable']")
tx0=$(a_peer "['tx_frames']")
run "$NA" ip link set ul0 down
ip netns exec "$NA" ping -c 4 -i 0.2 -W 1 10.250.8.2 >/dev/null 2>&1 &&
	tk_fail "expected no answer from 10.250.8.2 with the underlay down, got one"
fault_wait_json "$PA" "$NA" "$SA" "d['tunnel']['peers'][0]['drops']['unreachable'] > $u0" True 5 "unreachable drops on the peer"
[[ $(a_peer "['tx_frames']") == "$tx0" ]] || tk_fail "expected no frame counted as sent with the underlay down ($tx0), got $(a_peer "['tx_frames']")"
fault_log_has "$PA" "peer 10.99.0.2:4789: send failed: Network is unreachable" "the send failure"
[[ $(grep -c "send failed" "$TK_TMP/$PA.err") -eq 1 ]] ||
	tk_fail "expected the send failure logged once (not per frame), got $(grep -c "send failed" "$TK_TMP/$PA.err") lines"
fault_alive "$PA" "tunnel A with its underlay down"

tk_case "our underlay up again: traffic within 10 s, same process, 'sending works again' logged"
run "$NA" ip link set ul0 up
tun_ping_until "$NA" 10.250.8.2 10
fault_log_has "$PA" "peer 10.99.0.2:4789: sending works again" "the recovery"
tun_status "$NA" "$SA"
expect_json tunnel.pid "$PA"
expect_json tunnel.adapter_reopens 0
fault_fds_back "$PA" "$FDS" "tunnel A after its underlay went down and up"

# ---------------------------------------------------------------------------------------------
tk_case "the peer's underlay down: datagrams leave but nothing comes back; A survives"
run "$NB" ip link set ul0 down
# Counted from here. The veth's far end down takes A's carrier with it: nothing B sends after
# that arrives. A datagram already on its way may still be counted, so rx0 is taken once the
# count holds still over two reads (a status round trip and 0.1 s apart; bounded: 5 s).
tk_wait_value 5 "A's underlay without carrier (B's end down)" = 0 ns_sysfs "$NA" ul0 carrier
rx_settled()
{
	local before
	before=$(a_peer "['rx_frames']")
	sleep 0.1
	rx0=$(a_peer "['rx_frames']")
	[[ $rx0 == "$before" ]]
}
tk_wait_until 5 "A's rx_frames from B settled" rx_settled
ip netns exec "$NA" ping -c 3 -i 0.2 -W 1 10.250.8.2 >/dev/null 2>&1 &&
	tk_fail "expected no answer with the peer's underlay down, got one"
[[ $(a_peer "['rx_frames']") == "$rx0" ]] || tk_fail "expected no frame from B while its underlay is down ($rx0), got $(a_peer "['rx_frames']")"
fault_alive "$PA" "tunnel A"
fault_alive "$PB" "tunnel B with its underlay down"
run "$NB" ip link set ul0 up
tun_ping_until "$NA" 10.250.8.2 15
tun_ping "$NB" 10.250.8.1

# ---------------------------------------------------------------------------------------------
tk_case "the peer killed (SIGKILL): its adapter goes, A counts ICMP port unreachable, carries on"
kill -KILL "$PB"
tk_wait_exit "$PB" 5
[[ $TK_RC -eq 137 ]] || tk_fail "expected the peer to die of SIGKILL (137), got $TK_RC"
tk_wait_until 5 "B's adapter gone with its process" link_absent "$NB" tkb
[[ -S $SB ]] || tk_fail "expected B's control socket file left behind by SIGKILL (the case under test), it is gone"
u0=$(a_peer "['drops']['unreachable']")
ip netns exec "$NA" ping -c 4 -i 0.3 -W 1 10.250.8.2 >/dev/null 2>&1 || true
fault_wait_json "$PA" "$NA" "$SA" "d['tunnel']['peers'][0]['drops']['unreachable'] > $u0" True 5 "unreachable (ICMP) drops on A"
fault_log_has "$PA" "peer 10.99.0.2:4789: unreachable \(ICMP error" "the ICMP error"
fault_alive "$PA" "tunnel A with its peer killed"

tk_case "the peer restarted: the stale control socket is replaced, traffic within 15 s"
tun_start "$NB" "${B_ARGS[@]}"
PB=$TK_PID
# B comes back with a new adapter and so a new random MAC: A's neighbour entry for 10.250.8.2
# names the old one until it is refreshed. B's first ARP request (broadcast, flooded by A's
# tunnel) refreshes it at once, so B speaks first; see docs/faults.md.
tun_ping_until "$NB" 10.250.8.1 15
tun_ping "$NA" 10.250.8.2
tun_status "$NB" "$SB"
expect_json tunnel.pid "$PB"
tun_status "$NA" "$SA"
expect_json tunnel.pid "$PA"
expect_json tunnel.adapter_reopens 0
fault_fds_back "$PA" "$FDS" "tunnel A after its peer was killed and restarted"

# ---------------------------------------------------------------------------------------------
tk_case "SIGTERM: both exit 0 with no sanitizer or leak report"
fault_stop "$PA" "tunnel A"
fault_stop "$PB" "tunnel B (restarted)"
expect_no_link "$NB" tkb
