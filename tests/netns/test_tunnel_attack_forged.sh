#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Attack regression (issue 15): forged transport messages are counted and change nothing. Those
# naming a receiver index A never gave out are dropped before any cryptography (unknown_peer:
# sealed v1 spent an HChaCha20 and a full AEAD on each fresh session id and counted bad_tag);
# those naming the live session with a fresh counter fail the tag (bad_tag) and move no window:
# the real peer's frames keep flowing and nothing reaches the adapter.

# shellcheck source=tests/netns/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/tunnel_lib.sh
source "$(dirname "$0")/tunnel_lib.sh"
tk_require
tun_sealed_pair fg 8 10.250.8

a_drop()
{
	tun_json "$NA" "$SA" "d['tunnel']['drops']['$1']"
}

tk_case "200 transport messages with random receiver indices: unknown_peer, no cryptography"
tun_tap_mark "$NA" tka "$SA"
u0=$(a_drop unknown_peer) t0=$(a_drop bad_tag)
tk_exec "$NB" python3 "$TUNNEL_SEND" forge --to 10.99.0.1:4789 --count 200
tk_wait_value 5 "200 forgeries counted as unknown_peer" = "$((u0 + 200))" a_drop unknown_peer
[[ $(a_drop bad_tag) == "$t0" ]] || tk_fail "forgeries with unknown indices were decrypted (bad_tag)"
tun_tap_clean "$NA" tka "$SA" "a forged datagram"

tk_case "forgeries on the live session (its index, counters far ahead, a bad tag): bad_tag, no window moved"
tun_record_b "$TK_TMP/live.bin" 10.250.8.1
tun_tap_mark "$NA" tka "$SA"
t0=$(a_drop bad_tag)
for c in 1000000 1000000000 4611686018427387904; do
	tk_exec "$NB" python3 "$TUNNEL_SEND" send --to 10.99.0.1:4789 --file "$TK_TMP/live.bin" --mutate "counter:$c,flip" --count 1
done
tk_wait_value 5 "3 forgeries counted as bad_tag" = "$((t0 + 3))" a_drop bad_tag
tun_tap_clean "$NA" tka "$SA" "a forged datagram"
ip netns exec "$NB" ping -c 5 -i 0.2 -W 2 10.250.8.1 >/dev/null || tk_fail "B's frames stopped after the forgeries"
[[ $(a_drop replay) == 0 ]] || tk_fail "B's real frames were counted as replays after the forgeries"
