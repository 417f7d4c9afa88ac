#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The engine through the public API alone: examples/tk-tunnel-pair runs two tunnels in one
# process (one thread each, each in its own namespace), ping crosses them, and the main thread
# stops both with tk_tunnel_stop: the process exits 0, both adapters it created are gone, and
# each tunnel's counters (tk_tunnel_stats) saw the pings.
#
#   +---------- $NA ----------+   veth 10.99.0.0/24   +---------- $NB ----------+
#   | tkpa 10.250.8.1/24       |<==== UDP 4789 =====>| tkpb 10.250.8.2/24       |
#   +---------------- one process: tk-tunnel-pair (two threads) -----------------+

# shellcheck source=tests/netns/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/tunnel_lib.sh
source "$(dirname "$0")/tunnel_lib.sh"
tk_require
PAIR=$TK_BUILD_DIR/tk-tunnel-pair
[[ -x $PAIR ]] || tk_fail "$PAIR is not built"
tk_ns_new NA ena
tk_ns_new NB enb
tun_quiet "$NA"
tun_quiet "$NB"
tun_veth "$NA" 10.99.0.1 "$NB" 10.99.0.2

tk_case "two tunnels in one process, each in its namespace: ping crosses them"
# started from the host namespace: each thread enters its own with setns
tk_spawn host "$PAIR" "$NA" 10.99.0.1 "$NB" 10.99.0.2 30
PP=$TK_PID
tk_wait_line "$PP" '^pair running' 15
expect_link "$NA" tkpa
expect_link "$NB" tkpb
tun_ping "$NA" 10.250.8.2
tun_ping "$NB" 10.250.8.1

tk_case "stopped from another thread (SIGTERM to the main thread): exit 0, adapters gone, counters"
tk_stop "$PP"
expect_rc 0
[[ $TK_OUT == *"pair stopped"* ]] || tk_fail "no 'pair stopped' line"
rx_a=$(sed -n 's/^tkpa: peer 10.99.0.2:4789 rx_frames \([0-9]*\) .*/\1/p' <<<"$TK_OUT")
rx_b=$(sed -n 's/^tkpb: peer 10.99.0.1:4789 rx_frames \([0-9]*\) .*/\1/p' <<<"$TK_OUT")
[[ -n $rx_a && -n $rx_b && $rx_a -ge 6 && $rx_b -ge 6 ]] || tk_fail "expected at least 6 frames received by each tunnel, got a=$rx_a b=$rx_b"
expect_no_link "$NA" tkpa
expect_no_link "$NB" tkpb
