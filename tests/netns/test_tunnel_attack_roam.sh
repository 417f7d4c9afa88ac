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
tun_sealed_pair rm 9 10.250.9
ip -n "$NB" addr add 10.99.0.3/24 dev ul0
ip -n "$NB" addr add 10.99.0.9/24 dev ul0

tk_case "a datagram of B's replayed from 10.99.0.9: A keeps sending to 10.99.0.2"
tun_record_b "$TK_TMP/b.bin" 10.250.9.1
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
