#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Attack regression (issue 15): a flood of forged initiations (a valid mac1, which anyone who
# knows A's public key can compute; random ephemeral and static) costs A bounded CPU and memory,
# is answered with cookie replies once A is under load (so a spoofed flood costs a BLAKE2s and an
# XChaCha20 each, not an X25519), and does not stop the real peer's traffic. Bounded: at most
# 20000 datagrams within 4 s, only inside the test's namespaces.

# shellcheck source=tests/netns/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/tunnel_lib.sh
source "$(dirname "$0")/tunnel_lib.sh"
tk_require
tun_sealed_pair fl 7 10.250.7
ip -n "$NB" addr add 10.99.0.9/24 dev ul0

cpu()
{
	awk '{print $14 + $15}' "/proc/$1/stat"
}
rss()
{
	awk '/^VmRSS/ {print $2}' "/proc/$1/status"
}

tk_case "20000 forged initiations in at most 4 s from another address, B pinging A meanwhile"
apid=$PA
c0=$(cpu "$apid") m0=$(rss "$apid")
ip netns exec "$NB" ping -c 15 -i 0.2 -W 1 10.250.7.1 >"$TK_TMP/ping.out" 2>&1 &
ping_pid=$!
tk_exec "$NB" python3 "$TUNNEL_SEND" flood --to 10.99.0.1:4789 --bind 10.99.0.9:5000 --pubkey "$(cat "$TK_TMP/a.pub")" --count 20000 --seconds 4
flood_out=$TK_OUT
wait "$ping_pid" || true
c1=$(cpu "$apid") m1=$(rss "$apid")
tk_log "flood: $flood_out; A's CPU $(((c1 - c0) * 10)) ms, RSS $m0 -> $m1 KiB; $(grep -o '[0-9]* received' "$TK_TMP/ping.out")"
[[ $flood_out =~ sent=([0-9]+)\ cookies=([0-9]+) ]] || tk_fail "the flood tool printed no summary"
sent=${BASH_REMATCH[1]} cookies=${BASH_REMATCH[2]}
[[ $cookies -ge 1 ]] || tk_fail "A sent no cookie reply under a flood of $sent initiations"
received=$(grep -o '[0-9]* received' "$TK_TMP/ping.out" | awk '{print $1}')
[[ ${received:-0} -ge 12 ]] || tk_fail "B's ping got ${received:-0} of 15 answers during the flood"
[[ $((m1 - m0)) -lt 8192 ]] || tk_fail "A's memory grew by $((m1 - m0)) KiB during the flood"
# what reached an X25519: at most the load threshold (128 per second) over the flood's seconds
hs=$(tun_json "$NA" "$SA" "d['tunnel']['drops']['handshake']")
[[ $hs -le 1000 ]] || tk_fail "$hs forged initiations reached the key exchange (not bounded by the load limit)"
ul=$(tun_json "$NA" "$SA" "d['tunnel']['drops']['under_load']")
# (the socket may drop some of the flood before A reads it: those cost A nothing)
[[ $ul -ge $((sent / 2)) && $ul -ge $((10 * hs)) ]] || tk_fail "only $ul of $sent forged initiations were handled as under load ($hs reached the key exchange)"
# CPU: well under what $sent key exchanges would cost; 1 s of CPU for the whole flood is ample
[[ $(((c1 - c0) * 10)) -lt 2000 ]] || tk_fail "A spent $(((c1 - c0) * 10)) ms of CPU on the flood"
tun_ping "$NB" 10.250.7.1
