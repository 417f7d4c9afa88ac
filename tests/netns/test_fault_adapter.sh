#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Faults on the tunnel's own TAP adapter (plain mode), each followed by a check that traffic comes
# back, the status JSON shows what happened, the log names the cause, the tunnel holds as many
# descriptors as before and, at the end, exits 0 with no sanitizer or leak report:
#  - its link set down by someone else: frames from the peer cannot be written and are counted as
#    `adapter` drops; the tunnel does not fight the administrator (no reopen, the link stays down);
#    once the link is up again traffic flows;
#  - deleted three times in a row: re-created each time (adapter_reopens 3), addresses back, no
#    descriptor kept from the old adapters;
#  - put in a bridge (`tapkit set tka master br0`) which is then deleted: the TAP is released, the
#    tunnel carries on untouched (no reopen) and traffic on the TAP's own address works.
#
#   +------------ $NA ------------+   veth 10.99.0.0/24   +------------ $NB ------------+
#   | br0 10.250.6.1/24 (case 3)  |                       |                             |
#   |  `- tka 10.250.5.1/24       |<=== plain UDP 4789 ==>| tkb 10.250.5.2, 10.250.6.2  |
#   +-----------------------------+                       +-----------------------------+

# shellcheck source=tests/netns/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/tunnel_lib.sh
source "$(dirname "$0")/tunnel_lib.sh"
# shellcheck source=tests/netns/fault_lib.sh
source "$(dirname "$0")/fault_lib.sh"
tk_require
tk_ns_new NA ada
tk_ns_new NB adb
tun_quiet "$NA"
tun_quiet "$NB"
tun_veth "$NA" 10.99.0.1 "$NB" 10.99.0.2
SA=$TK_TMP/a.sock
SB=$TK_TMP/b.sock
tun_start "$NA" --dev tka --listen 10.99.0.1:4789 --peer 10.99.0.2:4789 --vni 5 --addr 10.250.5.1/24 --control "$SA"
PA=$TK_PID
tun_start "$NB" --dev tkb --listen 10.99.0.2:4789 --peer 10.99.0.1:4789 --vni 5 --addr 10.250.5.2/24,10.250.6.2/24 --control "$SB"
PB=$TK_PID
tun_ping "$NA" 10.250.5.2
FDS=$(fault_fds "$PA")
a_json()
{
	tun_json "$NA" "$SA" "$1"
}

# ---------------------------------------------------------------------------------------------
tk_case "TAP link set down: the peer's frames are counted as 'adapter' drops; no reopen"
ad0=$(a_json "d['tunnel']['peers'][0]['drops']['adapter']")
run "$NA" ip link set tka down
# B's pings reach A's tunnel, which cannot hand them to a down adapter
ip netns exec "$NB" ping -c 3 -i 0.2 -W 1 10.250.5.1 >/dev/null 2>&1 &&
	tk_fail "expected no answer from 10.250.5.1 while tka is down, got one"
fault_wait_json "$PA" "$NA" "$SA" "d['tunnel']['peers'][0]['drops']['adapter'] > $ad0" True 5 "adapter drops counted on the peer"
fault_alive "$PA" "tunnel A with its adapter down"
tun_status "$NA" "$SA"
expect_json tunnel.adapter_reopens 0
expect_json tunnel.adapter_open true
[[ $(ns_sysfs "$NA" tka operstate) == down ]] || tk_fail "expected tka to stay down (the administrator's choice), it is $(ns_sysfs "$NA" tka operstate)"

tk_case "TAP link set up again: ping works, the drop count stops, same descriptors"
run "$NA" ip link set tka up
tun_ping_until "$NA" 10.250.5.2 10
ad1=$(a_json "d['tunnel']['peers'][0]['drops']['adapter']")
tun_ping "$NB" 10.250.5.1
[[ $(a_json "d['tunnel']['peers'][0]['drops']['adapter']") == "$ad1" ]] ||
	tk_fail "expected no more adapter drops once tka is up ($ad1), got $(a_json "d['tunnel']['peers'][0]['drops']['adapter']")"
fault_fds_back "$PA" "$FDS" "tunnel A after its adapter went down and up"

# ---------------------------------------------------------------------------------------------
tk_case "TAP deleted three times: re-created and reconfigured each time, no descriptor kept"
for i in 1 2 3; do
	run "$NA" ip link del tka
	fault_wait_json "$PA" "$NA" "$SA" "d['tunnel']['adapter_reopens']" "$i" 15 "tka re-created (deletion $i)"
	tun_ping_until "$NA" 10.250.5.2 10
	fault_fds_back "$PA" "$FDS" "tunnel A after deletion $i of its adapter"
done
ip -n "$NA" -o addr show dev tka | grep -q 10.250.5.1/24 || tk_fail "expected 10.250.5.1/24 back on tka, it is not"
[[ $(grep -c "adapter tka lost (TK_E_DEVICE_VANISHED" "$TK_TMP/$PA.err") -eq 3 ]] ||
	tk_fail "expected 3 log lines 'adapter tka lost (TK_E_DEVICE_VANISHED...', got $(grep -c "lost (" "$TK_TMP/$PA.err")"
fault_log_has "$PA" "adapter tka recovered \(reopen 3\)" "the third recovery"

# ---------------------------------------------------------------------------------------------
tk_case "TAP in a bridge (tapkit set master): traffic crosses the bridge"
run "$NA" ip link add br0 type bridge
run "$NA" ip addr add 10.250.6.1/24 dev br0
run "$NA" ip link set br0 up
tk_ok "$NA" set tka master br0
tk_ok "$NA" show tka --json
expect_json adapter.master br0
tun_ping_until "$NA" 10.250.6.2 10

tk_case "the bridge deleted: the TAP is released, the tunnel untouched, the TAP's own address works"
rx0=$(a_json "d['tunnel']['peers'][0]['rx_frames']")
run "$NA" ip link del br0
tk_ok "$NA" show tka --json
expect_json adapter.master null
expect_json adapter.up true
tun_ping "$NA" 10.250.5.2
fault_alive "$PA" "tunnel A after the bridge went away"
tun_status "$NA" "$SA"
expect_json tunnel.adapter_reopens 3
expect_json tunnel.adapter_open true
expect_json_true "d['tunnel']['peers'][0]['rx_frames'] > $rx0"
fault_fds_back "$PA" "$FDS" "tunnel A after its bridge was deleted"

# ---------------------------------------------------------------------------------------------
tk_case "SIGTERM after all that: exit 0, no leak report, the adapter removed"
fault_stop "$PA" "tunnel A"
expect_no_link "$NA" tka
fault_stop "$PB" "tunnel B"
