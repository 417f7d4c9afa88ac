#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Sealed mode under trouble: the adapter deleted under a running tunnel (it is re-created and
# reconfigured), the peer killed and restarted (its new session is accepted; a datagram of its
# old session replayed afterwards is refused and counted), forged, replayed and truncated
# datagrams (dropped, counted, nothing written to the adapter), a peer that stops answering
# (counted, survived), and a bad configuration on SIGHUP (the running one stays).
#
#   +------- $NA -------+   veth 10.99.0.0/24   +------- $NB -------+
#   | tka 10.250.3.1/24 |<== sealed UDP 4789 ==>| tkb 10.250.3.2/24 |
#   +-------------------+                       +-------------------+

# shellcheck source=tests/netns/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/tunnel_lib.sh
source "$(dirname "$0")/tunnel_lib.sh"
tk_require
tun_sealed_setup rc 9 10.250.3
tun_start "$NA" --config "$TK_TMP/a.conf" --no-watch # SIGHUP alone (watching: test_tunnel_watch.sh)
PA=$TK_PID
tun_start "$NB" --config "$TK_TMP/b.conf"
PB=$TK_PID
tun_ping "$NA" 10.250.3.2

a_drop()
{
	tun_json "$NA" "$SA" "d['tunnel']['peers'][0]['drops']['$1']"
}

tk_case "the adapter deleted under the running tunnel: re-created, reconfigured, ping works again"
mac_a=$(ns_sysfs "$NA" tka address)
run "$NA" ip link del tka
tk_wait_until 15 "tka re-created" link_exists "$NA" tka
tk_wait_value 5 "tka's MAC back to $mac_a (stable, not random)" = "$mac_a" ns_sysfs "$NA" tka address
tun_ping_until "$NA" 10.250.3.2 15
tun_status "$NA" "$SA"
expect_json tunnel.adapter_reopens 1
expect_json_true '"10.250.3.1/24" in __import__("subprocess").run(["ip","-n","'"$NA"'","-o","addr","show","dev","tka"],capture_output=True,text=True).stdout'
grep -q "recovered" <(tk_bg_err "$PA") || tk_fail "no 'recovered' line in the tunnel's log"
trace=$(grep "lost (" <(tk_bg_err "$PA") | sed -n 's/.*\[trace \([0-9a-f]*\)\].*/\1/p' | head -n 1)
if [[ -z $trace ]] || ! grep "recovered" <(tk_bg_err "$PA") | grep -q "$trace"; then
	tk_fail "loss and recovery are not logged under one trace id"
fi

tk_case "capture one datagram of B's current session (for the replays below)"
tun_record_b "$TK_TMP/old.bin" 10.250.3.1

tk_case "replayed, forged and truncated datagrams are dropped, counted, and never reach the adapter"
tun_tap_mark "$NA" tka "$SA"
r0=$(a_drop replay) t0=$(a_drop bad_tag) m0=$(a_drop malformed)
tk_exec "$NB" python3 "$TUNNEL_SEND" send --to 10.99.0.1:4789 --file "$TK_TMP/old.bin" --count 3
tk_exec "$NB" python3 "$TUNNEL_SEND" send --to 10.99.0.1:4789 --file "$TK_TMP/old.bin" --mutate counter:1000000,flip --count 2
tk_exec "$NB" python3 "$TUNNEL_SEND" send --to 10.99.0.1:4789 --file "$TK_TMP/old.bin" --mutate truncate:20 --count 2
tk_exec "$NB" python3 "$TUNNEL_SEND" send --to 10.99.0.1:4789 --file "$TK_TMP/old.bin" --mutate counter:1000001,truncate:90 --count 1
tk_wait_value 5 "3 replays counted" = "$((r0 + 3))" a_drop replay
tk_wait_value 5 "3 bad tags counted (2 flipped, 1 cut inside the ciphertext)" = "$((t0 + 3))" a_drop bad_tag
tk_wait_value 5 "2 malformed counted" = "$((m0 + 2))" a_drop malformed
tun_tap_clean "$NA" tka "$SA" "a bad datagram"

tk_case "the peer killed (SIGKILL) and restarted: its new session is accepted, its MAC the same"
mac_b=$(ns_sysfs "$NB" tkb address)
kill -KILL "$PB"
tk_wait_exit "$PB" 5 || true
tun_start "$NB" --config "$TK_TMP/b.conf"
PB=$TK_PID
[[ $(ns_sysfs "$NB" tkb address) == "$mac_b" ]] || tk_fail "tkb came back with another MAC (was $mac_b): A's ARP cache would point nowhere"
tun_ping_until "$NB" 10.250.3.1 20
tun_ping "$NA" 10.250.3.2
[[ $(tun_json "$NA" "$SA" "d['tunnel']['peers'][0]['sessions']") == 2 ]] || tk_fail "A did not count B's second session"

tk_case "afterwards a datagram of the old session is refused as a replay (it authenticates)"
tun_tap_mark "$NA" tka "$SA"
r0=$(a_drop replay) t0=$(a_drop bad_tag)
tk_exec "$NB" python3 "$TUNNEL_SEND" send --to 10.99.0.1:4789 --file "$TK_TMP/old.bin" --count 2
tk_wait_value 5 "2 replays of the old session" = "$((r0 + 2))" a_drop replay
[[ $(a_drop bad_tag) == "$t0" ]] || tk_fail "the old datagram did not authenticate (so the test proves nothing)"
tun_tap_clean "$NA" tka "$SA" "the old session's datagram"
tun_ping "$NA" 10.250.3.2

tk_case "a peer that stops answering: sends fail or vanish, counted; the tunnel carries on"
kill -STOP "$PB"
run "$NB" ip link set ul0 down
ip netns exec "$NA" ping -c 3 -i 0.2 -W 1 10.250.3.2 >/dev/null 2>&1 || true
kill -0 "$PA" || tk_fail "the tunnel died while its peer was away"
run "$NB" ip link set ul0 up
kill -CONT "$PB"
tun_ping_until "$NA" 10.250.3.2 20

tk_case "a peer's port closed: ICMP port unreachable is counted and survived"
tk_stop "$PB"
u0=$(a_drop unreachable)
ip netns exec "$NA" ping -c 4 -i 0.3 -W 1 10.250.3.2 >/dev/null 2>&1 || true
tk_wait_value 5 "unreachable counted" -gt "$u0" a_drop unreachable
kill -0 "$PA" || tk_fail "the tunnel died on ICMP errors"
tun_start "$NB" --config "$TK_TMP/b.conf"
PB=$TK_PID
tun_ping_until "$NA" 10.250.3.2 20

tk_case "SIGHUP with a bad file: rejected with FILE:LINE, the running configuration stays"
cp "$TK_TMP/a.conf" "$TK_TMP/a.good"
printf '\n[Peer]\nEndpoint = 10.99.0.3:4789\nPublicKey = not-a-key\n' >>"$TK_TMP/a.conf"
kill -HUP "$PA"
tk_wait_until 5 "the rejection in the log" grep -q "reload rejected: $TK_TMP/a.conf:16" "$TK_TMP/$PA.err"
tun_ping "$NA" 10.250.3.2
expect_json_true 'd["tunnel"]["reload_failures"] == 1 and len(d["tunnel"]["peers"]) == 1' "$(ip netns exec "$NA" "$TAPKIT" tunnel status --control "$SA" --json)"

tk_case "SIGHUP with a good file: applied (a second address), the peer's session kept"
cp "$TK_TMP/a.good" "$TK_TMP/a.conf"
sed -i 's|^Address = .*|&\nAddress = 10.250.4.1/24|' "$TK_TMP/a.conf"
kill -HUP "$PA"
tk_wait_value 5 "the reload" = 1 tun_json "$NA" "$SA" 'd["tunnel"]["reloads"]'
ip -n "$NA" -o addr show dev tka | grep -q 10.250.4.1/24 || tk_fail "the new address is not on tka"
tun_ping "$NA" 10.250.3.2

tk_case "SIGTERM: clean exit, the adapter removed"
tk_stop "$PA"
expect_rc 0
expect_no_link "$NA" tka
