#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The engine's sealed mode against an independent WireGuard: `tapkit tunnel` (sealed, with the
# test-only `Identifiers = wireguard`) and Debian's wireguard-go (configured with `wg`) complete
# a handshake in each direction: `wg show` reports it, its transfer counters grow both ways, and
# tapkit's status counts the keepalives it received and authenticated from wireguard-go.
#
#   +--------- $NW ---------+   veth 10.99.7.0/24    +--------- $NT ----------+
#   | wireguard-go :51820   |<===== UDP ===========>| tapkit tunnel :51821   |
#   +-----------------------+                        +------------------------+

# shellcheck source=tests/netns/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/tunnel_lib.sh
source "$(dirname "$0")/tunnel_lib.sh"
tk_require
command -v wireguard-go >/dev/null || tk_skip "needs wireguard-go (apt-get install -y wireguard-go)"
command -v wg >/dev/null || tk_skip "needs wg (apt-get install -y wireguard-tools)"

tk_ns_new NW wgo
tk_ns_new NT tkt
tun_quiet "$NT"
tun_veth "$NW" 10.99.7.1 "$NT" 10.99.7.2
ST=$TK_TMP/t.sock

# wireguard-go's UAPI socket lives in /var/run/wireguard, shared by all namespaces: a name of
# our own (the pid) keeps parallel runs apart.
WGIF="tkwg$$"
WGIF=${WGIF:0:15}
umask 077
wg genkey >"$TK_TMP/wg.key"
WG_PK=$(wg pubkey <"$TK_TMP/wg.key")
tun_keys t

cat >"$TK_TMP/t.conf" <<EOF
[Interface]
Name = tkwg
Mode = sealed
Identifiers = wireguard
ListenAddress = 10.99.7.2:51821
PrivateKeyFile = t.key
ControlSocket = $ST

[Peer]
Endpoint = 10.99.7.1:51820
PublicKey = $WG_PK
PersistentKeepalive = 1
EOF

# wg_start [wg set peer ARGS...]: wireguard-go in $NW with tapkit as its peer, keepalives each
# second.
wg_start()
{
	tk_spawn "$NW" env WG_PROCESS_FOREGROUND=1 LOG_LEVEL=debug wireguard-go "$WGIF"
	WG_PID=$TK_PID
	tk_wait_until 10 "wireguard-go's $WGIF" ip netns exec "$NW" ip link show "$WGIF"
	tk_wait_until 10 "wireguard-go's UAPI socket" test -S "/var/run/wireguard/$WGIF.sock"
	run "$NW" ip link set "$WGIF" up
	run "$NW" wg set "$WGIF" private-key "$TK_TMP/wg.key" listen-port 51820 \
		peer "$(cat "$TK_TMP/t.pub")" allowed-ips 10.9.0.2/32 persistent-keepalive 1 "$@"
}

transfer()
{
	ip netns exec "$NW" wg show "$WGIF" transfer | awk -v k="$1" '{print (k == "RX") ? $2 : $3}'
}

handshake_at()
{
	ip netns exec "$NW" wg show "$WGIF" latest-handshakes | awk '{print $2}'
}

t_peer()
{
	tun_json "$NT" "$ST" "d['tunnel']['peers'][0]['$1']"
}

# check WHO: the handshake on record at both ends, transfer both ways, keepalives counted.
check()
{
	tk_wait_value 15 "wg show reports a handshake ($1)" -gt 0 handshake_at
	tk_wait_value 10 "tapkit counts the handshake" -ge 1 t_peer handshakes
	tk_wait_value 10 "tapkit authenticated wireguard-go's keepalives" -ge 2 t_peer keepalives_rx
	local rx0 tx0 k0 rx1 tx1
	rx0=$(transfer RX) tx0=$(transfer TX) k0=$(t_peer keepalives_rx)
	if [[ -n ${2:-} ]]; then
		# frames from tapkit's side (ARP requests for an address nobody has): transport
		# data to wireguard-go, which authenticates it, counts it and drops it (not IP). The
		# address comes only now, so tapkit had nothing to send before wireguard-go initiated
		# (two crossing initiations make both sides wait for a retry, as in WireGuard)
		run "$NT" ip addr add 10.9.0.2/24 dev tkwg
		ip netns exec "$NT" ping -c 3 -i 1 -W 1 10.9.0.1 >/dev/null 2>&1 || true
	else
		sleep 3
	fi
	rx1=$(transfer RX) tx1=$(transfer TX)
	tk_log "wireguard-go transfer: rx $rx0 -> $rx1, tx $tx0 -> $tx1; tapkit keepalives_rx $k0 -> $(t_peer keepalives_rx)"
	[[ $rx1 -gt $rx0 && $tx1 -gt $tx0 ]] ||
		tk_fail "wireguard-go's transfer counters did not grow both ways (rx $rx0 -> $rx1, tx $tx0 -> $tx1)"
	tk_wait_value 5 "tapkit's keepalive count grows" -gt "$k0" t_peer keepalives_rx
	[[ $(tun_json "$NT" "$ST" "d['tunnel']['peers'][0]['drops']['bad_tag'] + d['tunnel']['peers'][0]['drops']['handshake']") == 0 ]] ||
		tk_fail "tapkit refused messages from wireguard-go"
	ip netns exec "$NW" wg show "$WGIF" >&2
}

tk_case "tapkit initiates (its keepalive timer); wireguard-go answers; keepalives both ways"
wg_start # no endpoint: it learns ours from our initiation
tun_start "$NT" --config "$TK_TMP/t.conf"
PT=$TK_PID
check "tapkit initiated"
tk_stop "$PT"
expect_rc 0
tk_stop "$WG_PID" 10 || true

tk_case "wireguard-go initiates; tapkit answers; keepalives both ways"
sed -i 's/^PersistentKeepalive = 1$/PersistentKeepalive = 0/' "$TK_TMP/t.conf"
tun_start "$NT" --config "$TK_TMP/t.conf"
PT=$TK_PID
wg_start endpoint 10.99.7.2:51821
check "wireguard-go initiated" frames
[[ $(t_peer rx_frames) == 0 ]] || tk_fail "tapkit wrote wireguard-go's packets to its adapter"
tk_stop "$PT"
expect_rc 0
tk_stop "$WG_PID" 10 || true
