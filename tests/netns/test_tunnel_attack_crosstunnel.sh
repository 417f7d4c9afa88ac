#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Attack regression (issue 15): two tunnels between the same two hosts share one host key per
# host (what a single /etc/tapkit/private.key invites). One authentic datagram captured on
# tunnel 2 and replayed to tunnel 1 must change nothing there: tunnel 1's real frames keep
# flowing. (Sealed v1 switched tunnel 1's session on it and dropped every later frame as a
# replay.) Sealed v2 binds the VNI into the handshake, and a transport message names its
# session by the receiver's own index, which tunnel 1 never gave out.
#
#   +----------- $NA -----------+   veth 10.99.0.0/24   +----------- $NB -----------+
#   | tka (VNI 1, :4789)  .1.1  |<=== tunnel 1 ========>| tkb (VNI 1, :4789)  .1.2  |
#   | tkc (VNI 2, :4790)  .2.1  |<=== tunnel 2 ========>| tkd (VNI 2, :4790)  .2.2  |
#   +---------------------------+                       +---------------------------+

# shellcheck source=tests/netns/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/tunnel_lib.sh
source "$(dirname "$0")/tunnel_lib.sh"
tk_require
tun_sealed_setup xt 1 10.250.1
# tunnel 2: the same keys, VNI 2, port 4790, adapters tkc / tkd
tun_sealed_conf c b 10.99.0.1 10.99.0.2 10.250.2.1/24 2
tun_sealed_conf d a 10.99.0.2 10.99.0.1 10.250.2.2/24 2
for f in c d; do
	sed -i -e 's/:4789$/:4790/' -e "s/^PrivateKeyFile = .*/PrivateKeyFile = $([[ $f == c ]] && echo a || echo b).key/" "$TK_TMP/$f.conf"
done
tun_start "$NA" --config "$TK_TMP/a.conf"
tun_start "$NB" --config "$TK_TMP/b.conf"
tun_start "$NA" --config "$TK_TMP/c.conf"
tun_start "$NB" --config "$TK_TMP/d.conf"
tun_ping_until "$NB" 10.250.1.1 20
tun_ping_until "$NB" 10.250.2.1 20

tk_case "capture one datagram of tunnel 2 (B to A, port 4790)"
tun_record_b "$TK_TMP/t2.bin" 10.250.2.1 4790

tk_case "replayed to tunnel 1 (port 4789, from B's address): tunnel 1's frames keep flowing"
rx0=$(tun_json "$NA" "$SA" "d['tunnel']['peers'][0]['rx_frames']")
tk_exec "$NB" python3 "$TUNNEL_SEND" send --to 10.99.0.1:4789 --file "$TK_TMP/t2.bin" --count 3
sleep 0.3
if ! ip netns exec "$NB" ping -c 5 -i 0.2 -W 2 10.250.1.1 >/dev/null; then
	tk_fail "after the replay, tunnel 1 no longer carries B's frames (its session was switched)"
fi
rx1=$(tun_json "$NA" "$SA" "d['tunnel']['peers'][0]['rx_frames']")
[[ $rx1 -ge $((rx0 + 5)) ]] || tk_fail "A's tunnel 1 accepted $((rx1 - rx0)) frames of B's 5 echoes"
[[ $(tun_json "$NA" "$SA" "d['tunnel']['drops']['bad_vni']") == 0 ]] ||
	tk_fail "the replayed datagram authenticated on tunnel 1 (counted bad_vni)"
tun_ping "$NA" 10.250.1.2
