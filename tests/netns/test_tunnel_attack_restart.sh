#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Attack regression (issue 15): datagrams recorded before the receiver restarts, replayed to it
# afterwards while the real peer is silent (an on-path attacker holds its traffic back), must
# not be accepted: no frame reaches the adapter, no echo request is answered. (Sealed v1
# accepted the old session after a restart: 5 of 5 replayed echo requests were answered.)
# Sealed v2's sessions die with the process: a transport message names a receiver index the
# restarted tunnel never gave out.

# shellcheck source=tests/netns/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/tunnel_lib.sh
source "$(dirname "$0")/tunnel_lib.sh"
tk_require
tun_sealed_pair rs 6 10.250.6

tk_case "record B's echo requests to A"
tun_record_b "$TK_TMP/echo.bin" 10.250.6.1

tk_case "B silenced, A restarted, the recording replayed 5 times: nothing accepted, nothing answered"
tk_stop "$PB"
tk_stop "$PA"
tun_start "$NA" --config "$TK_TMP/a.conf"
PA=$TK_PID
tun_tap_mark "$NA" tka "$SA"
tk_exec "$NB" python3 "$TUNNEL_SEND" send --to 10.99.0.1:4789 --bind 10.99.0.2:4789 --file "$TK_TMP/echo.bin" --count 5
sleep 1
acc=$(tun_json "$NA" "$SA" "d['tunnel']['peers'][0]['rx_frames']")
[[ $acc == 0 ]] || tk_fail "the restarted tunnel accepted $acc replayed datagram(s) of the old session"
tun_tap_clean "$NA" tka "$SA" "a replayed datagram"
tx=$(tun_json "$NA" "$SA" "d['tunnel']['peers'][0]['tx_frames']")
[[ $tx == 0 ]] || tk_fail "the restarted tunnel sent $tx frame(s) to B (answers to replayed requests)"

tk_case "the real B comes back: a new session, frames flow"
tun_start "$NB" --config "$TK_TMP/b.conf"
tun_ping_until "$NB" 10.250.6.1 15
