#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Attack regression (issue 15): a datagram recorded while the sender's clock ran fast, replayed
# later, must not lock the sender out, neither in the running receiver nor after it restarts.
# (Sealed v1 followed the forward-dated session and refused the peer's real, older-dated ones as
# replays, silently.) Sealed v2 refuses an initiation more than 60 s ahead of its own clock, so a
# forward-dated one never raises the greatest timestamp a later initiation must exceed.
# B's fast clock comes from faketime (libfaketime), in B's process only.

# shellcheck source=tests/netns/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/tunnel_lib.sh
source "$(dirname "$0")/tunnel_lib.sh"
tk_require
FAKETIME_LIB=$(find /usr/lib -name libfaketime.so.1 2>/dev/null | head -n 1)
[[ -n $FAKETIME_LIB ]] || tk_skip "needs libfaketime (apt-get install -y faketime)"
# AddressSanitizer must be the first library loaded: LD_PRELOAD of libfaketime stops it
if grep -qs '^TK_SANITIZE:BOOL=ON' "$TK_BUILD_DIR/CMakeCache.txt" || grep -qa __asan_init "$TAPKIT"; then
	tk_skip "libfaketime cannot be preloaded into an AddressSanitizer build (run it with make)"
fi
tun_sealed_setup fd 5 10.250.5
tun_start "$NA" --config "$TK_TMP/a.conf"
PA=$TK_PID

tk_case "B runs with its clock 1 hour fast; what it sends to A is recorded"
tun_capture "$NA" --iface ul0 --port 4789 --src 10.99.0.2 --out "$TK_TMP/future.bin" --timeout 8
cap=$TK_PID
# the library itself (not the faketime wrapper, which would stand between tk_stop and tapkit)
tk_spawn "$NB" env LD_PRELOAD="$FAKETIME_LIB" FAKETIME=+3600s "$TAPKIT" --log-level info tunnel run --config "$TK_TMP/b.conf"
PB=$TK_PID
tk_wait_line "$PB" '^tunnel .* running' 15
ip netns exec "$NB" ping -c 3 -i 0.3 -W 1 10.250.5.1 >/dev/null 2>&1 || true
tun_captured "$cap" "a datagram from B with its clock fast"
tk_stop "$PB"

tk_case "B back on the right time; the recorded datagram replayed to A: B is not locked out"
tun_start "$NB" --config "$TK_TMP/b.conf"
PB=$TK_PID
tk_exec "$NB" python3 "$TUNNEL_SEND" send --to 10.99.0.1:4789 --bind 10.99.0.2:4799 --file "$TK_TMP/future.bin" --count 2
tun_ping_until "$NB" 10.250.5.1 15
tun_ping "$NA" 10.250.5.2

tk_case "A restarted, the datagram replayed again, then B restarted: B still gets through"
tk_stop "$PA"
tun_start "$NA" --config "$TK_TMP/a.conf"
PA=$TK_PID
tk_exec "$NB" python3 "$TUNNEL_SEND" send --to 10.99.0.1:4789 --bind 10.99.0.2:4799 --file "$TK_TMP/future.bin" --count 2
tk_stop "$PB"
tun_start "$NB" --config "$TK_TMP/b.conf"
PB=$TK_PID
tun_ping_until "$NB" 10.250.5.1 15
tun_ping "$NA" 10.250.5.2

tk_case "A refused B's forward-dated initiations (counted as handshake, logged as future)"
SA=$TK_TMP/a.sock
[[ $(tun_json "$NA" "$SA" "d['tunnel']['drops']['handshake']") -ge 1 ]] ||
	tk_fail "A did not count the replayed forward-dated initiation as a refused handshake"
grep -q "refused: future" "$TK_TMP/$PA.err" || tk_fail "A did not log the refusal as future"
