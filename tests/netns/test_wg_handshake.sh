#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Sealed mode v2's core against an independent WireGuard: Debian's wireguard-go, configured with
# `wg`, and tests/interop/wg_peer (tapkit's noise.c, cookie.c, transport.c and timers.c with
# WireGuard's identifiers) complete a handshake over UDP in each role, exchange keepalives and
# ICMP echoes through the tunnel, and `wg show` reports the handshake and growing transfer
# counters both ways. Under load, tapkit's cookie reply makes wireguard-go retry with a mac2
# that tapkit accepts.
#
#   +--------- $NW ---------+   veth 192.168.241.0/24   +--------- $NP ---------+
#   | wireguard-go 10.9.0.1  |<===== UDP 51820/51821 ===>| wg_peer 10.9.0.2      |
#   +-----------------------+                            +-----------------------+

# shellcheck source=tests/netns/lib.sh
source "$(dirname "$0")/lib.sh"
tk_require
command -v wireguard-go >/dev/null || tk_skip "needs wireguard-go (apt-get install -y wireguard-go)"
command -v wg >/dev/null || tk_skip "needs wg (apt-get install -y wireguard-tools)"
WG_PEER=$TK_BUILD_DIR/tests/wg_peer
[[ -x $WG_PEER ]] || tk_fail "$WG_PEER is not built (make)"

tk_ns_new NW wg
tk_ns_new NP peer
VW="${TK_PREFIX}w"
ip link add "$VW" netns "$NW" type veth peer name "${TK_PREFIX}p" netns "$NP"
run "$NW" ip addr add 192.168.241.1/24 dev "$VW"
run "$NW" ip link set "$VW" up
run "$NP" ip addr add 192.168.241.2/24 dev "${TK_PREFIX}p"
run "$NP" ip link set "${TK_PREFIX}p" up

# wireguard-go's UAPI socket lives in /var/run/wireguard, shared by all namespaces: a name of
# our own (the pid) keeps parallel runs apart.
WGIF="tkwg$$"
WGIF=${WGIF:0:15}
umask 077
wg genkey >"$TK_TMP/wg.key"
WG_PK=$(wg pubkey <"$TK_TMP/wg.key")
wg genkey >"$TK_TMP/peer.key"
PEER_SK=$(cat "$TK_TMP/peer.key")
PEER_PK=$(wg pubkey <"$TK_TMP/peer.key")

# Starts wireguard-go in $NW (foreground, in the background of this shell, killed by the trap)
# with our peer, a keepalive every second, and extra `wg set` peer arguments (an endpoint).
wg_start()
{
	tk_spawn "$NW" env WG_PROCESS_FOREGROUND=1 LOG_LEVEL=debug wireguard-go "$WGIF"
	WG_PID=$TK_PID
	tk_wait_until 10 "wireguard-go's $WGIF" ip netns exec "$NW" ip link show "$WGIF"
	tk_wait_until 10 "wireguard-go's UAPI socket" test -S "/var/run/wireguard/$WGIF.sock"
	run "$NW" ip addr add 10.9.0.1/24 dev "$WGIF"
	run "$NW" ip link set "$WGIF" up
	run "$NW" wg set "$WGIF" private-key "$TK_TMP/wg.key" listen-port 51820 \
		peer "$PEER_PK" allowed-ips 10.9.0.2/32 persistent-keepalive 1 "$@"
}

wg_stop()
{
	tk_stop "$WG_PID" 10 || true
}

# transfer RX|TX: wireguard-go's byte counter for our peer.
transfer()
{
	ip netns exec "$NW" wg show "$WGIF" transfer | awk -v k="$1" '{print (k == "RX") ? $2 : $3}'
}

handshake_age()
{
	local t
	t=$(ip netns exec "$NW" wg show "$WGIF" latest-handshakes | awk '{print $2}')
	[[ $t -gt 0 ]] && echo $(($(date +%s) - t)) || echo never
}

# One run of wg_peer in ROLE (initiator, responder, loaded: a responder under load), which
# completes the handshake as AS; wireguard-go's side configured by the caller.
peer_run()
{
	local role=$1 as=$2
	tk_spawn "$NP" "$WG_PEER" "$role" 192.168.241.2:51821 192.168.241.1:51820 "$PEER_SK" "$WG_PK" \
		10.9.0.2 10.9.0.1 40 3
	local pid=$TK_PID
	tk_wait_line "$pid" "handshake complete role=$as" 25
	# the handshake is on record at wireguard-go
	tk_wait_value 5 "wg show latest-handshakes" != never handshake_age
	tk_wait_line "$pid" "echo reply seq=1" 10
	local rx0 tx0
	rx0=$(transfer RX)
	tx0=$(transfer TX)
	tk_log "wireguard-go transfer after the first echo: rx $rx0 tx $tx0"
	tk_wait_exit "$pid" 50
	tk_log "$TK_OUT"
	expect_rc 0
	expect_stdout "summary sent="
	if ! [[ $TK_OUT =~ keepalives_in=([0-9]+) ]] || [[ ${BASH_REMATCH[1]} -lt 3 ]]; then
		tk_fail "wg_peer authenticated fewer than 3 keepalives from wireguard-go"
	fi
	[[ $TK_OUT =~ refused=0 ]] || tk_fail "wg_peer refused messages from wireguard-go"
	local rx1 tx1
	rx1=$(transfer RX)
	tx1=$(transfer TX)
	tk_log "wireguard-go transfer at the end: rx $rx1 tx $tx1"
	[[ $rx1 -gt $rx0 && $tx1 -gt $tx0 ]] ||
		tk_fail "wireguard-go's transfer counters did not grow both ways (rx $rx0 -> $rx1, tx $tx0 -> $tx1)"
	ip netns exec "$NW" wg show "$WGIF" >&2
}

tk_case "tapkit initiates; wireguard-go answers, then keepalives and echoes both ways"
wg_start # no endpoint: it learns ours from our initiation
peer_run initiator initiator
wg_stop

tk_case "wireguard-go initiates; tapkit answers, then keepalives and echoes both ways"
wg_start endpoint 192.168.241.2:51821
peer_run responder responder
wg_stop

tk_case "under load: tapkit answers with a cookie reply, wireguard-go retries with mac2"
wg_start endpoint 192.168.241.2:51821
peer_run loaded responder
expect_stdout "under load: cookie reply sent"
expect_stdout "initiation with a valid mac2"
if ! [[ $TK_OUT =~ cookies_sent=([0-9]+) ]] || [[ ${BASH_REMATCH[1]} -lt 1 ]]; then
	tk_fail "no cookie reply was sent"
fi
wg_stop
