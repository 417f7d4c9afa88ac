#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Attack regression (issue 15): a peer's endpoint follows the source of its last authenticated
# datagram, and only that. A replayed or forged datagram from another address moves nothing;
# the peer really moving (restarted on a new address) is followed at once. (Sealed v1 knew a
# peer only by its configured address: a peer that moved was cut off.)
#
#   A 10.99.0.1  <-- veth -->  B 10.99.0.2, later 10.99.0.3 (and an attacker's 10.99.0.9)

# shellcheck source=tests/netns/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/tunnel_lib.sh
source "$(dirname "$0")/tunnel_lib.sh"
tk_require
tk_ns_new NA rma
tk_ns_new NB rmb
tun_quiet "$NA"
tun_quiet "$NB"
tun_veth "$NA" 10.99.0.1 "$NB" 10.99.0.2
ip -n "$NB" addr add 10.99.0.3/24 dev ul0
ip -n "$NB" addr add 10.99.0.9/24 dev ul0
SA=$TK_TMP/a.sock
tun_keys a b
tun_sealed_conf a b 10.99.0.1 10.99.0.2 10.250.9.1/24 9
tun_sealed_conf b a 10.99.0.2 10.99.0.1 10.250.9.2/24 9
tun_start "$NA" --config "$TK_TMP/a.conf"
tun_start "$NB" --config "$TK_TMP/b.conf"
PB=$TK_PID
tun_ping_until "$NB" 10.250.9.1 15

tk_case "a datagram of B's replayed from 10.99.0.9: A keeps sending to 10.99.0.2"
tun_capture "$NA" --iface ul0 --port 4789 --src 10.99.0.2 --out "$TK_TMP/b.bin" --timeout 5
cap=$TK_PID
ip netns exec "$NB" ping -c 3 -i 0.2 -W 2 10.250.9.1 >/dev/null || true
tun_captured "$cap" "a datagram of B's"
tk_exec "$NB" python3 "$TUNNEL_SEND" send --to 10.99.0.1:4789 --bind 10.99.0.9:4789 --file "$TK_TMP/b.bin" --count 3
tk_exec "$NB" python3 "$TUNNEL_SEND" send --to 10.99.0.1:4789 --bind 10.99.0.9:4789 --file "$TK_TMP/b.bin" --mutate "counter:99999999,flip" --count 3
sleep 0.3
ep=$(tun_json "$NA" "$SA" "d['tunnel']['peers'][0].get('current_endpoint', '10.99.0.2:4789')")
[[ $ep == 10.99.0.2:4789 ]] || tk_fail "an unauthenticated datagram moved B's endpoint to $ep"
tun_ping "$NA" 10.250.9.2

tk_case "B restarted on 10.99.0.3: A follows it after its first authenticated datagram"
tk_stop "$PB"
sed -i 's/^ListenAddress = 10.99.0.2:4789$/ListenAddress = 10.99.0.3:4789/' "$TK_TMP/b.conf"
tun_start "$NB" --config "$TK_TMP/b.conf"
tun_ping_until "$NB" 10.250.9.1 15
tun_ping "$NA" 10.250.9.2
ep=$(tun_json "$NA" "$SA" "d['tunnel']['peers'][0]['current_endpoint']")
[[ $ep == 10.99.0.3:4789 ]] || tk_fail "A's endpoint for B is $ep, not 10.99.0.3:4789"
[[ $(tun_json "$NA" "$SA" "d['tunnel']['peers'][0]['endpoint']") == 10.99.0.2:4789 ]] ||
	tk_fail "the configured endpoint changed in the status"
