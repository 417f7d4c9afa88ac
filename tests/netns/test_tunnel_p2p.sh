#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# `tapkit tunnel` point to point, plain (VXLAN) and sealed, from flags and from a file: ping and
# a 3-second TCP transfer both ways, counters that add up, SIGTERM removing the adapter it made,
# and the start-up refusals (key file readable by others, bad file with FILE:LINE).
#
#   +---------- $NA ----------+   veth 10.99.0.0/24   +---------- $NB ----------+
#   | tka 10.250.0.1/24        |<==== UDP 4789 =====>| tkb 10.250.0.2/24        |
#   +-------------------------+                      +-------------------------+

# shellcheck source=tests/netns/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/tunnel_lib.sh
source "$(dirname "$0")/tunnel_lib.sh"
tk_require
command -v iperf3 >/dev/null || tk_skip "needs iperf3 (apt-get install -y iperf3)"
tk_ns_new NA tpa
tk_ns_new NB tpb
tun_quiet "$NA"
tun_quiet "$NB"
tun_veth "$NA" 10.99.0.1 "$NB" 10.99.0.2
SA=$TK_TMP/a.sock
SB=$TK_TMP/b.sock

tk_case "plain: both ends from flags; ping both ways"
tun_start "$NA" --dev tka --listen 10.99.0.1:4789 --peer 10.99.0.2:4789 --vni 7 --addr 10.250.0.1/24 --control "$SA"
PA=$TK_PID
tun_start "$NB" --dev tkb --listen 10.99.0.2:4789 --peer 10.99.0.1:4789 --vni 7 --addr 10.250.0.2/24 --control "$SB"
PB=$TK_PID
expect_link "$NA" tka
[[ $(ip_link_json "$NA" tka | json_get "$(cat)" mtu) == 1450 ]] || tk_fail "tka: expected the plain IPv4 default MTU 1450"
tun_ping "$NA" 10.250.0.2
tun_ping "$NB" 10.250.0.1

tk_case "plain: status counts frames and bytes both ways, and the peer as last seen"
tun_status "$NA" "$SA"
expect_json tunnel.mode plain
expect_json tunnel.vni 7
expect_json tunnel.peers.0.endpoint 10.99.0.2:4789
expect_json_true 'd["tunnel"]["peers"][0]["rx_frames"] >= 3 and d["tunnel"]["peers"][0]["tx_frames"] >= 3'
expect_json_true 'd["tunnel"]["peers"][0]["last_seen_ago_ms"] < 10000'
expect_json_true 'sum(d["tunnel"]["drops"].values()) == 0'
expect_json_true 'any(e["peer"] == "10.99.0.2:4789" for e in d["tunnel"]["mac_table"]["entries"])'
tk_ok "$NA" tunnel status --control "$SA"
expect_stdout "peer 10.99.0.2:4789"
expect_stdout "MAC table: "

tk_case "plain: TCP both ways (iperf3, 3 s each)"
up=$(tun_iperf "$NA" "$NB" 10.250.0.2)
down=$(tun_iperf "$NA" "$NB" 10.250.0.2 -R)
tk_log "plain: $up Mbit/s a->b, $down Mbit/s b->a"
[[ $up -gt 0 && $down -gt 0 ]] || tk_fail "no throughput"
echo "RESULT tunnel_plain_mbps=$up" >&2

tk_case "SIGTERM: exit 0, the adapter it created is gone, the control socket too"
tk_stop "$PA"
expect_rc 0
expect_no_link "$NA" tka
[[ ! -e $SA ]] || tk_fail "control socket $SA left behind"
tk_stop "$PB"
expect_rc 0

tk_case "--mac: the adapter gets it at start; a multicast MAC is a usage error, nothing opened"
tun_start "$NA" --dev tka --listen 10.99.0.1:4789 --peer 10.99.0.2:4789 --control "$SA" --mac 02:00:5e:10:00:99
PA=$TK_PID
[[ $(ns_sysfs "$NA" tka address) == 02:00:5e:10:00:99 ]] || tk_fail "tka: expected MAC 02:00:5e:10:00:99, got $(ns_sysfs "$NA" tka address)"
tk_stop "$PA"
expect_rc 0
tk "$NA" tunnel run --dev tka --peer 10.99.0.2:4789 --control "$SA" --mac 01:00:5e:00:00:01
expect_rc 2
expect_stderr 'expected a unicast MAC'
expect_no_link "$NA" tka

tk_case "sealed: keys from genkey/pubkey, configuration files; ping and TCP both ways"
for side in a b; do
	(umask 077 && ip netns exec "$NA" "$TAPKIT" genkey >"$TK_TMP/$side.key")
	ip netns exec "$NA" "$TAPKIT" pubkey <"$TK_TMP/$side.key" >"$TK_TMP/$side.pub"
done
[[ $(stat -c %a "$TK_TMP/a.key") == 600 ]] || tk_fail "genkey output is not 0600"
cat >"$TK_TMP/a.conf" <<EOF
# side A
[Interface]
Name = tka
Mode = sealed
VNI = 7
ListenAddress = 10.99.0.1:4789
PrivateKeyFile = a.key
Address = 10.250.0.1/24
ControlSocket = $SA

[Peer]
Endpoint = 10.99.0.2:4789
PublicKey = $(cat "$TK_TMP/b.pub")
EOF
cat >"$TK_TMP/b.conf" <<EOF
[Interface]
Name = tkb
Mode = sealed
VNI = 7
ListenPort = 4789
PrivateKeyFile = $TK_TMP/b.key
Address = 10.250.0.2/24
ControlSocket = $SB

[Peer]
Endpoint = 10.99.0.1:4789
PublicKey = $(cat "$TK_TMP/a.pub")
EOF
tun_start "$NA" --config "$TK_TMP/a.conf"
PA=$TK_PID
tun_start "$NB" --config "$TK_TMP/b.conf"
PB=$TK_PID
[[ $(ip_link_json "$NA" tka | json_get "$(cat)" mtu) == 1418 ]] || tk_fail "tka: expected the sealed IPv4 default MTU 1418"
tun_ping "$NA" 10.250.0.2
tun_ping "$NB" 10.250.0.1
up=$(tun_iperf "$NA" "$NB" 10.250.0.2)
down=$(tun_iperf "$NA" "$NB" 10.250.0.2 -R)
tk_log "sealed: $up Mbit/s a->b, $down Mbit/s b->a"
[[ $up -gt 0 && $down -gt 0 ]] || tk_fail "no throughput"
echo "RESULT tunnel_sealed_mbps=$up" >&2
tun_status "$NA" "$SA"
expect_json tunnel.mode sealed
expect_json tunnel.public_key "$(cat "$TK_TMP/a.pub")"
expect_json tunnel.peers.0.public_key "$(cat "$TK_TMP/b.pub")"
expect_json tunnel.peers.0.sessions 1
expect_json_true 'd["tunnel"]["peers"][0]["rx_frames"] > 1000'
expect_json_true 'sum(d["tunnel"]["drops"].values()) == 0'

tk_case "sealed: what crosses the underlay is not the frame (no VXLAN header, no IP inside)"
tun_capture "$NA" --iface ul0 --port 4789 --out "$TK_TMP/cap.bin" --timeout 5
cap=$TK_PID
ip netns exec "$NB" ping -c 2 -i 0.2 -W 2 10.250.0.1 >/dev/null || true
tun_captured "$cap" "a sealed datagram on A's underlay during B's ping"
python3 - "$TK_TMP/cap.bin" <<'EOF' || tk_fail "a sealed datagram shows plaintext"
import sys
d = open(sys.argv[1], "rb").read()
assert d[:4] == b"\x04\x00\x00\x00", d[:4]  # a v2 transport message
assert bytes([10, 250, 0, 1]) not in d and bytes([10, 250, 0, 2]) not in d
EOF
tk_stop "$PA"
expect_rc 0
tk_stop "$PB"
expect_rc 0

tk_case "a private key file others may read is refused, with chmod 600 as the fix"
chmod 0644 "$TK_TMP/a.key"
tk "$NA" tunnel run --config "$TK_TMP/a.conf"
expect_error TK_E_CONFIG - 2
expect_fix "chmod 600 $TK_TMP/a.key"
grep -q "a.conf:7" <<<"$TK_ERR" || tk_fail "the refusal does not name a.conf:7 (the PrivateKeyFile line)"
tk "$NA" tunnel run --dev tka --mode sealed --key "$TK_TMP/a.key" --peer 10.99.0.2 --peer-key "$(cat "$TK_TMP/b.pub")"
expect_error TK_E_CONFIG - 2
expect_fix "chmod 600"
chmod 0600 "$TK_TMP/a.key"
expect_no_link "$NA" tka

tk_case "genkey refuses a stdout others may read (the shell made it 0644): no key written, the fix named"
rm -f "$TK_TMP/loose.key"
tk_exec "$NA" sh -c "umask 022; exec '$TAPKIT' genkey >'$TK_TMP/loose.key'"
[[ $TK_RC == 2 ]] || tk_fail "genkey into a 0644 file: exit $TK_RC, expected 2"
[[ ! -s $TK_TMP/loose.key ]] || tk_fail "genkey wrote a key into a 0644 file"
grep -q "mode 0644" <<<"$TK_ERR" || tk_fail "the refusal does not name the mode found: $TK_ERR"
grep -q "umask 077" <<<"$TK_ERR" || tk_fail "the refusal does not give umask 077 as the fix: $TK_ERR"
tk_exec "$NA" sh -c "umask 077; exec '$TAPKIT' genkey | tee '$TK_TMP/tee.key' >/dev/null"
[[ $(stat -c %a "$TK_TMP/tee.key") == 600 && -s $TK_TMP/tee.key ]] || tk_fail "the documented 'umask 077; genkey | tee' did not make a 0600 key"

tk_case "a configuration file group or others may write, or owned by another user, is refused"
chmod 0664 "$TK_TMP/a.conf"
tk "$NA" tunnel run --config "$TK_TMP/a.conf"
expect_error TK_E_CONFIG - 2
expect_fix "chmod go-w $TK_TMP/a.conf"
grep -q "mode 0664" <<<"$TK_ERR" || tk_fail "the refusal does not name the mode found"
chmod 0644 "$TK_TMP/a.conf"
chown 12345 "$TK_TMP/a.conf"
tk "$NA" tunnel run --config "$TK_TMP/a.conf"
expect_error TK_E_CONFIG - 2
expect_fix "chown root $TK_TMP/a.conf"
grep -q "owned by uid 12345" <<<"$TK_ERR" || tk_fail "the refusal does not name the owner found"
chown 0 "$TK_TMP/a.conf"
printf 'PresharedKey = %s\n' "$("$TAPKIT" pubkey <"$TK_TMP/a.key")" >>"$TK_TMP/a.conf"
tk "$NA" tunnel run --config "$TK_TMP/a.conf"
expect_error TK_E_CONFIG - 2
expect_fix "chmod 600 $TK_TMP/a.conf"
sed -i '/^PresharedKey = /d' "$TK_TMP/a.conf"
expect_no_link "$NA" tka

tk_case "a bad file is refused with FILE:LINE and what was expected"
printf '[Interface]\nName = tka\nMode = secret\n[Peer]\nEndpoint = 10.99.0.2\n' >"$TK_TMP/bad.conf"
tk "$NA" tunnel run --config "$TK_TMP/bad.conf" --json
expect_error TK_E_CONFIG - 2
expect_json error.object "$TK_TMP/bad.conf:3"
expect_stderr "expected plain or sealed"
