#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Plain mode speaks VXLAN as the Linux kernel does: tapkit in one namespace, a kernel vxlan
# device in the other; ping and TCP both ways. Datagrams with another VNI, or from an address
# that is no peer, are dropped and counted and never reach the adapter. The same run measures
# kernel vxlan on both ends, for comparison.
#
#   +------- $NA -------+   veth 10.99.0.0/24   +------- $NB -------+
#   | tapkit tka        |<===== UDP 4789 =====>| vx0 (kernel vxlan) |
#   | 10.250.1.1/24     |        VNI 42        | 10.250.1.2/24      |
#   +-------------------+                       +--------------------+

# shellcheck source=tests/netns/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/tunnel_lib.sh
source "$(dirname "$0")/tunnel_lib.sh"
tk_require
command -v iperf3 >/dev/null || tk_skip "needs iperf3 (apt-get install -y iperf3)"
command -v ethtool >/dev/null || tk_skip "needs ethtool (apt-get install -y ethtool)"
tk_ns_new NA tva
tk_ns_new NB tvb
tun_quiet "$NA"
tun_quiet "$NB"
tun_veth "$NA" 10.99.0.1 "$NB" 10.99.0.2
SA=$TK_TMP/a.sock

kernel_vxlan()
{
	local ns=$1 local_ip=$2 remote=$3 addr=$4
	run "$ns" ip link add vx0 type vxlan id 42 dstport 4789 remote "$remote" local "$local_ip" dev ul0
	run "$ns" ip addr add "$addr" dev vx0
	run "$ns" ip link set vx0 up
}

# Over veth nothing ever computes a checksum the kernel left to offload: the kernel vxlan's
# inner TCP checksums would reach tapkit (a user-space receiver) unfinished and the adapter
# would drop them. A real NIC finishes them; here the vxlan device must not offload them.
kernel_vxlan_csum()
{
	run "$1" ethtool -K vx0 tx off
}

tk_case "kernel vxlan on both ends (the reference figure)"
kernel_vxlan "$NA" 10.99.0.1 10.99.0.2 10.250.1.1/24
kernel_vxlan "$NB" 10.99.0.2 10.99.0.1 10.250.1.2/24
tun_ping "$NA" 10.250.1.2
kv=$(tun_iperf "$NA" "$NB" 10.250.1.2)
tk_log "kernel vxlan <-> kernel vxlan: $kv Mbit/s"
echo "RESULT kernel_vxlan_mbps=$kv" >&2
run "$NA" ip link del vx0

tk_case "tapkit plain <-> kernel vxlan: ping both ways"
kernel_vxlan_csum "$NB"
tun_start "$NA" --dev tka --listen 10.99.0.1:4789 --peer 10.99.0.2:4789 --vni 42 --addr 10.250.1.1/24 --control "$SA"
PA=$TK_PID
tun_ping "$NA" 10.250.1.2
tun_ping "$NB" 10.250.1.1

tk_case "tapkit plain <-> kernel vxlan: TCP both ways (iperf3, 3 s each)"
up=$(tun_iperf "$NA" "$NB" 10.250.1.2)
down=$(tun_iperf "$NA" "$NB" 10.250.1.2 -R)
tk_log "tapkit -> kernel: $up Mbit/s, kernel -> tapkit: $down Mbit/s"
echo "RESULT tapkit_kernel_interop_mbps=$up/$down" >&2
[[ $up -gt 0 && $down -gt 0 ]] || tk_fail "no throughput"
tun_status "$NA" "$SA"
# the kernel sends from a port of its range, not 4789: the peer is known by its address
expect_json_true 'd["tunnel"]["peers"][0]["rx_frames"] > 1000 and d["tunnel"]["drops"]["unknown_peer"] == 0'

tk_case "datagrams with another VNI are dropped, counted, and never reach the adapter"
tun_tap_mark "$NA" tka "$SA"
bad0=$(tun_json "$NA" "$SA" 'd["tunnel"]["drops"]["bad_vni"]')
tk_exec "$NB" python3 "$TUNNEL_SEND" vxlan --to 10.99.0.1:4789 --vni 43 --count 5
expect_rc 0
tk_wait_value 5 "5 more bad_vni drops" = "$((bad0 + 5))" tun_json "$NA" "$SA" 'd["tunnel"]["drops"]["bad_vni"]'
[[ $(tun_json "$NA" "$SA" 'd["tunnel"]["peers"][0]["drops"]["bad_vni"]') -ge 5 ]] || tk_fail "the drops are not counted on the peer"
tun_tap_clean "$NA" tka "$SA" "a frame with a wrong VNI"
rx1=$(ns_sysfs "$NA" tka statistics/rx_packets)

tk_case "the right VNI from the same sender does reach the adapter (the check above can fail)"
tk_exec "$NB" python3 "$TUNNEL_SEND" vxlan --to 10.99.0.1:4789 --vni 42 --count 3
tk_wait_value 5 "3 frames written to tka" -ge "$((rx1 + 3))" ns_sysfs "$NA" tka statistics/rx_packets

tk_case "datagrams from an address that is no peer are dropped and counted"
run "$NB" ip addr add 10.99.0.5/24 dev ul0
u0=$(tun_json "$NA" "$SA" 'd["tunnel"]["drops"]["unknown_peer"]')
tun_tap_mark "$NA" tka "$SA"
tk_exec "$NB" python3 "$TUNNEL_SEND" vxlan --to 10.99.0.1:4789 --vni 42 --count 4 --bind 10.99.0.5
tk_wait_value 5 "4 more unknown_peer drops" = "$((u0 + 4))" tun_json "$NA" "$SA" 'd["tunnel"]["drops"]["unknown_peer"]'
tun_tap_clean "$NA" tka "$SA" "a stranger's frame"

tk_case "a truncated VXLAN datagram is counted as malformed"
printf '\x08\x00\x00\x00\x00\x00\x2a\x00abc' >"$TK_TMP/short.bin"
m0=$(tun_json "$NA" "$SA" 'd["tunnel"]["drops"]["malformed"]')
tk_exec "$NB" python3 "$TUNNEL_SEND" send --to 10.99.0.1:4789 --file "$TK_TMP/short.bin" --count 2
tk_wait_value 5 "2 more malformed drops" = "$((m0 + 2))" tun_json "$NA" "$SA" 'd["tunnel"]["drops"]["malformed"]'

tk_stop "$PA"
expect_rc 0
