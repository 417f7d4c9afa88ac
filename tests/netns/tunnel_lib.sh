# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Helpers shared by the tunnel's netns tests (tests/netns/test_tunnel_*.sh), on top of lib.sh:
# an underlay of veth pairs between the test's namespaces, the tunnel started in the background
# with its control socket in the test's temporary directory, its status as JSON, bounded iperf3
# runs, and the datagram sender tests/netns/tunnel_send.py.

# shellcheck disable=SC2034 # used by the tests that source this file
TUNNEL_SEND="$TK_SOURCE_DIR/tests/netns/tunnel_send.py"

# tun_veth NS1 IP1 NS2 IP2: a veth pair "ul0" in each namespace with IP/24 on it, up. Only these
# namespaces see the addresses (10.99.x.y), so every packet stays inside the test.
tun_veth()
{
	local n1=$1 a1=$2 n2=$3 a2=$4 i1=ul0 i2=ul0
	[[ -n ${5:-} ]] && i1=$5
	[[ -n ${6:-} ]] && i2=$6
	ip link add "tkv$$a" type veth peer name "tkv$$b"
	ip link set "tkv$$a" netns "$n1" name "$i1"
	ip link set "tkv$$b" netns "$n2" name "$i2"
	ip -n "$n1" addr add "$a1/24" dev "$i1"
	ip -n "$n2" addr add "$a2/24" dev "$i2"
	ip -n "$n1" link set "$i1" up
	ip -n "$n2" link set "$i2" up
}

# tun_quiet NS: no IPv6 (no router solicitations, no MLD): frame counters move only for the
# traffic a test makes.
tun_quiet()
{
	ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}

# tun_start NS ARGS...: `tapkit tunnel run ARGS` in the background in NS; waits for its
# "running" line. TK_PID is its pid.
tun_start()
{
	local ns=$1
	shift
	tk_bg "$ns" --log-level info tunnel run "$@"
	tk_wait_line "$TK_PID" '^tunnel .* running' 15
}

# tun_status NS SOCK: the status document as JSON in TK_OUT (the command must succeed).
tun_status()
{
	tk_ok "$1" tunnel status --control "$2" --json
}

# tun_json NS SOCK EXPR: prints the value of a Python expression over the status document d.
tun_json()
{
	local doc
	doc=$(ip netns exec "$1" "$TAPKIT" tunnel status --control "$2" --json 2>/dev/null) || {
		echo "<no status>"
		return 0
	}
	python3 -c 'import json, sys; d = json.loads(sys.stdin.read()); print(eval(sys.argv[1]))' "$3" <<<"$doc" 2>/dev/null || echo "<error>"
}

# tun_ping NS ADDR: three pings must come back (bounded: 3 s each at most).
tun_ping()
{
	tk_exec "$1" ping -c 3 -i 0.2 -W 3 "$2"
	[[ $TK_RC -eq 0 ]] || tk_fail "ping $2 from $1 failed"
}

# tun_ping_until NS ADDR SECONDS: pings until one answers (after a recovery).
tun_ping_until()
{
	local i
	for ((i = 0; i < $3; i++)); do
		ip netns exec "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1 && return 0
	done
	tk_fail "no answer from $2 in $1 within about $3 s"
}

# tun_iperf CLIENT_NS SERVER_NS SERVER_IP [-R]: a 3-second TCP transfer; prints Mbit/s received.
# The server serves exactly one test (-1) and both ends are bounded in time.
tun_iperf()
{
	local cns=$1 sns=$2 ip=$3 rev=${4:-} i out
	command -v iperf3 >/dev/null || tk_fail "iperf3 is missing (apt-get install -y iperf3)"
	ip netns exec "$sns" timeout 20 iperf3 -s -1 -B "$ip" >/dev/null 2>&1 &
	TK_BG_PIDS+=("$!")
	# ready when its socket listens (bounded: 5 s)
	for ((i = 0; i < 50; i++)); do
		ip netns exec "$sns" ss -ltn 2>/dev/null | grep -q ":5201 " && break
		sleep 0.1
	done
	((i < 50)) || tk_fail "the iperf3 server in $sns did not listen on $ip:5201 within 5 s"
	# shellcheck disable=SC2086
	out=$(ip netns exec "$cns" timeout 15 iperf3 -c "$ip" -t 3 -J $rev 2>&1) ||
		tk_fail "iperf3 $rev from $cns to $ip failed: $(grep -E "\"error\"" <<<"$out")"
	python3 -c 'import json,sys; d=json.load(sys.stdin); print("%.0f" % (d["end"]["sum_received"]["bits_per_second"]/1e6))' <<<"$out"
}

# tun_capture NS ARGS...: tunnel_send.py capture ARGS in the background in NS, waited for until
# it says "ready" (its packet socket bound, so nothing sent after this is missed); TK_PID is its
# pid. tun_captured PID WHAT: waits for it to end (within its --timeout) with a datagram saved.
tun_capture()
{
	local ns=$1
	shift
	tk_spawn "$ns" python3 "$TUNNEL_SEND" capture "$@"
	tk_wait_line "$TK_PID" '^ready$' 10
}

tun_captured()
{
	tk_wait_exit "$1" 15
	[[ $TK_RC -eq 0 ]] || tk_fail "no datagram captured: $2"
}

# tun_tap_mark NS DEV SOCK: remembers the adapter's rx packets and the frames the tunnel accepted
# from its peers. tun_tap_clean NS DEV SOCK WHAT: fails unless the adapter got exactly the frames
# the tunnel accepted since the mark (background ARP may be among those; a dropped datagram may
# not), i.e. nothing that was dropped was written to the adapter.
tun_tap_mark()
{
	TUN_RX0=$(ns_sysfs "$1" "$2" statistics/rx_packets)
	TUN_ACC0=$(tun_json "$1" "$3" 'sum(p["rx_frames"] for p in d["tunnel"]["peers"])')
}

tun_tap_clean()
{
	local rx acc
	rx=$(ns_sysfs "$1" "$2" statistics/rx_packets)
	acc=$(tun_json "$1" "$3" 'sum(p["rx_frames"] for p in d["tunnel"]["peers"])')
	[[ $((rx - TUN_RX0)) -eq $((acc - TUN_ACC0)) ]] ||
		tk_fail "$4 reached the adapter: $((rx - TUN_RX0)) frames written, $((acc - TUN_ACC0)) accepted"
}

# tun_keys SIDE...: a key pair per side, $TK_TMP/SIDE.key (0600) and $TK_TMP/SIDE.pub.
tun_keys()
{
	local side
	for side in "$@"; do
		(umask 077 && "$TAPKIT" genkey >"$TK_TMP/$side.key")
		"$TAPKIT" pubkey <"$TK_TMP/$side.key" >"$TK_TMP/$side.pub"
	done
}

# tun_sealed_conf ME PEER MY_IP PEER_IP ADDR VNI [EXTRA_INTERFACE_LINE]: $TK_TMP/ME.conf, a
# sealed tunnel "tkME" on MY_IP:4789 with ADDR, its control socket $TK_TMP/ME.sock, and PEER
# (PEER_IP:4789, the key of tun_keys PEER) as its one peer.
tun_sealed_conf()
{
	local me=$1 peer=$2 my_ip=$3 peer_ip=$4 addr=$5 vni=$6 extra=${7:-}
	cat >"$TK_TMP/$me.conf" <<EOF
[Interface]
Name = tk$me
Mode = sealed
VNI = $vni
ListenAddress = $my_ip:4789
PrivateKeyFile = $me.key
Address = $addr
ControlSocket = $TK_TMP/$me.sock

[Peer]
Endpoint = $peer_ip:4789
PublicKey = $(cat "$TK_TMP/$peer.pub")
EOF
	# the extra line after ControlSocket: with none, the file's line numbers are the same
	[[ -z $extra ]] || sed -i "/^ControlSocket = /a $extra" "$TK_TMP/$me.conf"
}

# tun_sealed_setup TAG VNI NET [EXTRA_A]: namespaces NA and NB (named after TAG, quiet) joined
# by ul0 10.99.0.1 / 10.99.0.2, keys a and b, and the files of sealed tunnels tka (NET.1/24,
# EXTRA_A as tun_sealed_conf's extra line) and tkb (NET.2/24) on VNI, not started; SA and SB
# are their control sockets.
tun_sealed_setup()
{
	local tag=$1 vni=$2 net=$3
	tk_ns_new NA "${tag}a"
	tk_ns_new NB "${tag}b"
	tun_quiet "$NA"
	tun_quiet "$NB"
	tun_veth "$NA" 10.99.0.1 "$NB" 10.99.0.2
	SA=$TK_TMP/a.sock
	SB=$TK_TMP/b.sock
	tun_keys a b
	tun_sealed_conf a b 10.99.0.1 10.99.0.2 "$net.1/24" "$vni" "${4:-}"
	tun_sealed_conf b a 10.99.0.2 10.99.0.1 "$net.2/24" "$vni"
}

# tun_sealed_pair TAG VNI NET: tun_sealed_setup, both tunnels started (PA, PB) and carrying B's
# ping to A.
tun_sealed_pair()
{
	local net=$3
	tun_sealed_setup "$@"
	tun_start "$NA" --config "$TK_TMP/a.conf"
	PA=$TK_PID
	tun_start "$NB" --config "$TK_TMP/b.conf"
	PB=$TK_PID
	tun_ping_until "$NB" "$net.1" 15
}

# tun_record_b OUT TARGET [PORT]: saves in OUT one datagram B sends to A's PORT (4789) while B
# pings TARGET through the tunnel.
tun_record_b()
{
	local port=${3:-4789}
	tun_capture "$NA" --iface ul0 --port "$port" --src 10.99.0.2 --out "$1" --timeout 5
	local cap=$TK_PID
	ip netns exec "$NB" ping -c 3 -i 0.2 -W 2 "$2" >/dev/null || true
	tun_captured "$cap" "a datagram from B to A's port $port"
}
