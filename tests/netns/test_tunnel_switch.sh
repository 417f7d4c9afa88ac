#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Three peers: the learning switch. A is the hub (Forward = true) with peers B and C; B and C
# only know A. Source MACs are learned per peer; once a destination is learned, unicast goes to
# its peer only (C's counters stay still while A and B talk); broadcast is flooded to every
# other peer and never back to the peer it came from; B reaches C through A.
#
#            +---- $NB ----+
#            | tkb .2      |  ul0 10.99.0.2
#            +-------------+
#                  |
#   +---- $NA (hub) ----+      overlay 10.250.2.0/24
#   | tka .1            |  ul0 10.99.0.1, ul1 10.99.1.1
#   +-------------------+
#                  |
#            +---- $NC ----+
#            | tkc .3      |  ul0 10.99.1.3
#            +-------------+

# shellcheck source=tests/netns/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/tunnel_lib.sh
source "$(dirname "$0")/tunnel_lib.sh"
tk_require
tk_ns_new NA swa
tk_ns_new NB swb
tk_ns_new NC swc
for ns in "$NA" "$NB" "$NC"; do
	tun_quiet "$ns"
done
tun_veth "$NA" 10.99.0.1 "$NB" 10.99.0.2 ul0 ul0
tun_veth "$NA" 10.99.1.1 "$NC" 10.99.1.3 ul1 ul0
SA=$TK_TMP/a.sock SB=$TK_TMP/b.sock SC=$TK_TMP/c.sock

cat >"$TK_TMP/a.conf" <<EOF
[Interface]
Name = tka
VNI = 5
ListenPort = 4789
Address = 10.250.2.1/24
Forward = true
MACTableSize = 64
ControlSocket = $SA

# C first: a flood from the hub reaches C before B (see "a stopped peer" below)
[Peer]
Endpoint = 10.99.1.3:4789

[Peer]
Endpoint = 10.99.0.2:4789
EOF
tun_start "$NA" --config "$TK_TMP/a.conf"
PA=$TK_PID
# the hub's peer entries by endpoint
HUB_B='[p for p in d["tunnel"]["peers"] if p["endpoint"] == "10.99.0.2:4789"][0]'
HUB_C='[p for p in d["tunnel"]["peers"] if p["endpoint"] == "10.99.1.3:4789"][0]'
tun_start "$NB" --dev tkb --listen 10.99.0.2:4789 --peer 10.99.0.1:4789 --vni 5 --addr 10.250.2.2/24 --control "$SB" --mtu 1400
tun_start "$NC" --dev tkc --listen 10.99.1.3:4789 --peer 10.99.1.1:4789 --vni 5 --addr 10.250.2.3/24 --control "$SC" --mtu 1400
PC=$TK_PID
MAC_B=$(ns_sysfs "$NB" tkb address)
MAC_C=$(ns_sysfs "$NC" tkc address)

tk_case "A learns B's MAC behind peer B from B's answer"
tun_ping "$NA" 10.250.2.2
tun_status "$NA" "$SA"
expect_json_true "any(e['mac'] == '$MAC_B' and e['peer'] == '10.99.0.2:4789' for e in d['tunnel']['mac_table']['entries'])"
expect_json tunnel.mac_table.capacity 64

tk_case "once learned, unicast to B is not flooded: C's counters do not move"
c_tx=$(tun_json "$NA" "$SA" "$HUB_C"'["tx_frames"]')
c_rx=$(tun_json "$NC" "$SC" 'd["tunnel"]["peers"][0]["rx_frames"]')
b_tx=$(tun_json "$NA" "$SA" "$HUB_B"'["tx_frames"]')
tk_exec "$NA" ping -c 10 -i 0.1 -W 2 10.250.2.2
expect_rc 0
c_tx2=$(tun_json "$NA" "$SA" "$HUB_C"'["tx_frames"]')
[[ $c_tx2 == "$c_tx" ]] || { ip netns exec "$NA" "$TAPKIT" tunnel status --control "$SA" >&2; tk_fail "A sent unicast for B to C ($c_tx -> $c_tx2)"; }
[[ $(tun_json "$NC" "$SC" 'd["tunnel"]["peers"][0]["rx_frames"]') == "$c_rx" ]] || tk_fail "C received frames meant for B"
[[ $(tun_json "$NA" "$SA" "$HUB_B"'["tx_frames"]') -ge $((b_tx + 10)) ]] || tk_fail "A did not send the pings to B"

tk_case "a broadcast from B is flooded to C and the adapter, never back to B"
# A's kernel re-validates its ARP entry for B with a unicast probe some seconds after the pings
# (more often late on a loaded machine): that frame goes to B and would count as an echo. A
# permanent entry keeps A's own traffic out of this count.
ip -n "$NA" neigh replace 10.250.2.2 lladdr "$MAC_B" dev tka nud permanent
b_tx=$(tun_json "$NA" "$SA" "$HUB_B"'["tx_frames"]')
c_tx=$(tun_json "$NA" "$SA" "$HUB_C"'["tx_frames"]')
rx0=$(ns_sysfs "$NA" tka statistics/rx_packets)
tk_exec "$NB" python3 "$TUNNEL_SEND" vxlan --to 10.99.0.1:4789 --vni 5 --count 3
expect_rc 0
tk_wait_value 5 "3 broadcasts flooded to C" = "$((c_tx + 3))" tun_json "$NA" "$SA" "$HUB_C"'["tx_frames"]'
tk_wait_value 5 "3 broadcasts written to tka" -ge "$((rx0 + 3))" ns_sysfs "$NA" tka statistics/rx_packets
[[ $(tun_json "$NA" "$SA" "$HUB_B"'["tx_frames"]') == "$b_tx" ]] || tk_fail "A sent B's broadcast back to B"
ip -n "$NA" neigh del 10.250.2.2 dev tka
expect_json_true "any(e['mac'] == '02:00:00:00:ee:01' and e['peer'] == '10.99.0.2:4789' for e in d['tunnel']['mac_table']['entries'])" "$(ip netns exec "$NA" "$TAPKIT" tunnel status --control "$SA" --json)"

tk_case "B reaches C through the hub; the hub learns C"
tun_ping "$NB" 10.250.2.3
tun_status "$NA" "$SA"
expect_json_true "any(e['mac'] == '$MAC_C' and e['peer'] == '10.99.1.3:4789' for e in d['tunnel']['mac_table']['entries'])"

tk_case "text status lists both peers and the table"
tk_ok "$NA" tunnel status --control "$SA"
expect_stdout "peer 10.99.0.2:4789"
expect_stdout "peer 10.99.1.3:4789"
expect_stdout "$MAC_B"

tk_case "a stopped peer costs the others nothing: C gone, the hub's floods still reach B"
# C's port closed: the copy of a flood sent to C brings back an ICMP error which, with
# IP_RECVERR, also becomes the socket's pending error; the very next send (the copy for B,
# since C comes first) must not be lost to it.
tk_stop "$PC"
b_unr0=$(tun_json "$NA" "$SA" "$HUB_B"'["drops"]["unreachable"]')
c_unr0=$(tun_json "$NA" "$SA" "$HUB_C"'["drops"]["unreachable"]')
for i in 1 2 3; do
	ip -n "$NA" neigh flush dev tka
	ip netns exec "$NA" ping -c 1 -W 2 10.250.2.2 >/dev/null || tk_fail "the hub's ARP flood did not reach B with C stopped (try $i)"
done
tk_wait_value 5 "C's unreachable drops counted (the floods to C)" -gt "$c_unr0" tun_json "$NA" "$SA" "$HUB_C"'["drops"]["unreachable"]'
[[ $(tun_json "$NA" "$SA" "$HUB_B"'["drops"]["unreachable"]') == "$b_unr0" ]] ||
	tk_fail "sends to B were lost to C's ICMP errors (B's unreachable drops moved from $b_unr0)"

tk_case "SIGTERM stops the hub cleanly"
tk_stop "$PA"
expect_rc 0
expect_no_link "$NA" tka
