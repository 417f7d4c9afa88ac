#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The tunnel demo: two network namespaces ("hosts") joined by a veth pair (the "underlay"), and
# `tapkit tunnel` in sealed mode between them: keys made with `tapkit genkey`, a TAP adapter on
# each side created and configured by the tunnel, a ping and a short TCP transfer across, then
# `tapkit tunnel status` of one side. Everything is removed at the end, also on failure or Ctrl-C.
#
#   +------------ tkdemo-a ------------+   veth 10.99.9.0/24   +------------ tkdemo-b ------------+
#   | tktun0 10.250.9.1/24 (TAP)        |<= sealed UDP 4789 =>| tktun0 10.250.9.2/24 (TAP)        |
#   +-----------------------------------+                      +-----------------------------------+
#
# Needs root and a build (make). Uses iperf3 for the transfer when it is installed (else nc or
# a second ping). Every command is bounded in time.
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${TK_BUILD_DIR:-$ROOT/build}
TAPKIT=${TAPKIT:-$BUILD/tapkit}
NS_A="tkdemo-a-$$"
NS_B="tkdemo-b-$$"
DEV=tktun0
DIR=$(mktemp -d /tmp/tkdemo-tunnel.XXXXXX)
PIDS=()

# shellcheck source=scripts/demo-lib.sh
. "$ROOT/scripts/demo-lib.sh"

show()
{
	printf '%s$ %s%s\n' "$DIM" "$*" "$OFF"
}

cleanup()
{
	local rc=$? pid
	set +e
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${PIDS[@]}"; do
		timeout 5 tail --pid="$pid" -f /dev/null 2>/dev/null
		kill -KILL "$pid" 2>/dev/null
	done
	ip netns del "$NS_A" 2>/dev/null
	ip netns del "$NS_B" 2>/dev/null
	rm -rf "$DIR"
	exit "$rc"
}

[[ $EUID -eq 0 ]] || {
	echo "demo-tunnel: needs root (namespaces and TAP adapters): sudo $0" >&2
	exit 2
}
[[ -x $TAPKIT ]] || {
	echo "demo-tunnel: $TAPKIT is not built (run make)" >&2
	exit 2
}
trap cleanup EXIT INT TERM

section "two hosts (network namespaces) joined by a veth pair"
demo_hosts_add
ip link add "tkdu$$a" type veth peer name "tkdu$$b"
ip link set "tkdu$$a" netns "$NS_A" name ul0
ip link set "tkdu$$b" netns "$NS_B" name ul0
ip -n "$NS_A" addr add 10.99.9.1/24 dev ul0
ip -n "$NS_B" addr add 10.99.9.2/24 dev ul0
ip -n "$NS_A" link set ul0 up
ip -n "$NS_B" link set ul0 up
echo "    $NS_A ul0 10.99.9.1  <->  $NS_B ul0 10.99.9.2"

section "keys for sealed mode"
for side in a b; do
	show "umask 077; tapkit genkey > $side.key; tapkit pubkey < $side.key > $side.pub"
	(umask 077 && "$TAPKIT" genkey >"$DIR/$side.key")
	"$TAPKIT" pubkey <"$DIR/$side.key" >"$DIR/$side.pub"
	echo "    $side: public key $(cat "$DIR/$side.pub")"
done

section "a sealed tunnel on each host (the TAP adapter is created by the tunnel)"
start()
{
	local ns=$1 me=$2 peer=$3 my_ip=$4 peer_ip=$5 addr=$6
	cat >"$DIR/$me.conf" <<EOF
[Interface]
Name = $DEV
Mode = sealed
VNI = 42
ListenAddress = $my_ip:4789
PrivateKeyFile = $me.key
Address = $addr
ControlSocket = $DIR/$me.sock

[Peer]
Endpoint = $peer_ip:4789
PublicKey = $(cat "$DIR/$peer.pub")
EOF
	show "ip netns exec $ns tapkit tunnel run --config $me.conf &"
	ip netns exec "$ns" "$TAPKIT" tunnel run --config "$DIR/$me.conf" >"$DIR/$me.out" 2>"$DIR/$me.err" &
	PIDS+=("$!")
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q running "$DIR/$me.out" 2>/dev/null && break
		sleep 0.1
	done
	grep -q running "$DIR/$me.out" || {
		cat "$DIR/$me.err" >&2
		exit 1
	}
	sed 's/^/    /' "$DIR/$me.out"
}
start "$NS_A" a b 10.99.9.1 10.99.9.2 10.250.9.1/24
start "$NS_B" b a 10.99.9.2 10.99.9.1 10.250.9.2/24
echo
sed 's/^/    /' "$DIR/a.conf"

section "ping across the tunnel"
show "ip netns exec $NS_A ping -c 3 10.250.9.2"
ip netns exec "$NS_A" ping -c 3 -i 0.3 -W 3 10.250.9.2 | sed 's/^/    /'

section "a short transfer across the tunnel"
if command -v iperf3 >/dev/null; then
	ip netns exec "$NS_B" timeout 20 iperf3 -s -1 -B 10.250.9.2 >/dev/null 2>&1 &
	PIDS+=("$!")
	for ((i = 0; i < 50; i++)); do
		ip netns exec "$NS_B" ss -ltn 2>/dev/null | grep -q ":5201 " && break
		sleep 0.1
	done
	show "ip netns exec $NS_A iperf3 -c 10.250.9.2 -t 2"
	ip netns exec "$NS_A" timeout 15 iperf3 -c 10.250.9.2 -t 2 | grep -E "sender|receiver" | sed 's/^/    /'
else
	show "ip netns exec $NS_A ping -c 20 -s 1300 10.250.9.2"
	ip netns exec "$NS_A" ping -c 20 -i 0.05 -s 1300 -W 3 10.250.9.2 | tail -2 | sed 's/^/    /'
fi

section "what the tunnel on $NS_A says"
show "ip netns exec $NS_A tapkit tunnel status"
ip netns exec "$NS_A" "$TAPKIT" tunnel status --control "$DIR/a.sock" | sed 's/^/    /'

section "done: stopping the tunnels removes their adapters"
