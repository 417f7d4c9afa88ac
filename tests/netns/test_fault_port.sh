#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Fault: the tunnel's UDP port (or its control socket) is taken by another process when it starts.
# Expected: exit 5, TK_E_ADAPTER_BUSY, EADDRINUSE (98), the port in the message and `ss -ulpn` in
# the fix; nothing left behind (no adapter, no control socket, the port not held); no crash, no
# leak. Once the other process is gone the same command starts. A second tunnel on the control
# socket of a running one is refused the same way, and the running one is not disturbed.
#
#   +------------------ $NA ------------------+
#   | python3 bound to 10.99.0.1:4789 / [::]  |   veth 10.99.0.0/24   +--- $NB ---+
#   | tapkit tunnel run --dev tkp0 ...        |<--------------------->| 10.99.0.2 |
#   +-----------------------------------------+                       +-----------+

# shellcheck source=tests/netns/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/tunnel_lib.sh
source "$(dirname "$0")/tunnel_lib.sh"
# shellcheck source=tests/netns/fault_lib.sh
source "$(dirname "$0")/fault_lib.sh"
tk_require
tk_ns_new NA pta
tk_ns_new NB ptb
tun_quiet "$NA"
tun_quiet "$NB"
tun_veth "$NA" 10.99.0.1 "$NB" 10.99.0.2
SA=$TK_TMP/a.sock

# port_busy_checks: what every "port taken" refusal must show.
port_busy_checks()
{
	fault_no_crash "tunnel run with its port taken"
	expect_error TK_E_ADAPTER_BUSY 98 5
	expect_stderr "UDP port 4789"
	expect_stderr "in use"
	expect_fix "ss -ulpn" ListenPort
	expect_no_link "$NA" tkp0
	[[ ! -e $SA ]] || tk_fail "expected no control socket left at $SA, it is there"
}

tk_case "a specific address: 10.99.0.1:4789 held by python3 -> exit 5, ADAPTER_BUSY, EADDRINUSE"
fault_udp_hold "$NA" 10.99.0.1 4789 4
holder=$TK_PID
tk_exec "$NA" timeout 20 "$TAPKIT" tunnel run --dev tkp0 --listen 10.99.0.1:4789 --peer 10.99.0.2:4789 --control "$SA"
port_busy_checks
expect_stderr 10.99.0.1:4789

tk_case "the same with --json: the JSON error says the same"
tk_exec "$NA" timeout 20 "$TAPKIT" tunnel run --dev tkp0 --listen 10.99.0.1:4789 --peer 10.99.0.2:4789 --control "$SA" --json
port_busy_checks
expect_json error.os_name EADDRINUSE
expect_json error.op bind
kill -0 "$holder" || tk_fail "expected the holder (pid $holder) to be untouched, it is gone"

tk_case "the holder gone: the same command starts and carries frames"
tk_stop "$holder"
tun_start "$NA" --dev tkp0 --listen 10.99.0.1:4789 --peer 10.99.0.2:4789 --control "$SA" --addr 10.250.7.1/24
PA=$TK_PID
tun_start "$NB" --dev tkp0 --listen 10.99.0.2:4789 --peer 10.99.0.1:4789 --control "$TK_TMP/b.sock" --addr 10.250.7.2/24
PB=$TK_PID
tun_ping "$NA" 10.250.7.2

tk_case "a second tunnel on the control socket of a running one: exit 5, the first undisturbed"
fds=$(fault_fds "$PA")
tk_exec "$NA" timeout 20 "$TAPKIT" tunnel run --dev tkp1 --listen 10.99.0.1:4790 --peer 10.99.0.2:4789 --control "$SA"
fault_no_crash "a second tunnel on a taken control socket"
expect_rc 5
expect_cause TK_E_ADAPTER_BUSY
expect_stderr "another tunnel is running"
expect_no_link "$NA" tkp1
fault_udp_bound "$NA" 4790 && tk_fail "expected port 4790 released after the refusal, it is still bound"
tun_status "$NA" "$SA"
expect_json tunnel.pid "$PA"
tun_ping "$NA" 10.250.7.2
fault_fds_back "$PA" "$fds" "the running tunnel after another one was refused"

tk_case "a second tunnel on the port of a running one: exit 5, names the port"
tk_exec "$NA" timeout 20 "$TAPKIT" tunnel run --dev tkp1 --listen 10.99.0.1:4789 --peer 10.99.0.2:4789 --control "$TK_TMP/c.sock"
fault_no_crash "a second tunnel on a taken port"
expect_error TK_E_ADAPTER_BUSY 98 5
expect_fix "ss -ulpn"
expect_no_link "$NA" tkp1
[[ ! -e $TK_TMP/c.sock ]] || tk_fail "expected no control socket left at $TK_TMP/c.sock, it is there"
fault_alive "$PA" "the first tunnel"
fault_stop "$PA" "tunnel A"
fault_stop "$PB" "tunnel B"

tk_case "every address, dual stack: [::]:4789 held -> the tunnel without --listen is refused too"
fault_udp_hold "$NA" :: 4789 6
holder=$TK_PID
tk_exec "$NA" timeout 20 "$TAPKIT" tunnel run --dev tkp0 --peer 10.99.0.2:4789 --control "$SA"
port_busy_checks
expect_stderr "[::]:4789"
tk_stop "$holder"
