#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The hub benchmark (bench/README.md, "Per-frame cost and peers"): is the tunnel's per-frame
# cost independent of the number of peers? A hub tunnel is configured with N peers (1, then
# 1000 by default); one of them is live (listed last), the others are addresses on the same
# veth in the peers' namespace, each with an AllowedMACs entry. A client pings the hub's adapter through the tunnel: per ping the hub
# receives one datagram (peer lookup, MAC learning, write to its adapter) and sends one frame
# (MAC lookup, send). The hub runs under callgrind, which counts instructions, so the figure
# holds on a busy machine: Ir between a zeroing and a dump, over the frames (two per ping that
# came back: a datagram in, a frame out). Then the hub runs
# natively with the same configuration and its peak RSS (VmHWM) is read after the pings.
#
#   +--------- $NH ---------+    veth ul0 10.97.0.0/16    +--------- $NP --------------------+
#   | tkh 10.250.6.1/24     |<=========================>| tkc 10.250.6.2/24 (the client)    |
#   | hub: N [Peer]s        |                           | ul0: 10.97.0.2 + N-1 more addresses|
#   +-----------------------+                           +------------------------------------+
#
# Passes (exit 0) when Ir/frame with the most peers is within HUB_TOLERANCE percent (10) of the
# fewest and every peak RSS is under HUB_RSS_MAX_KB (32 MiB). Environment: TK_BUILD_DIR,
# TAPKIT, HUB_PEERS ("1 1000"), HUB_PINGS (300), HUB_RESULTS (bench/results). Needs root and
# valgrind (callgrind_control). Every command is bounded in time; a trap deletes the namespaces.
set -uo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib/proc.sh
source "$ROOT/scripts/lib/proc.sh"
BUILD=${TK_BUILD_DIR:-$ROOT/build}
TAPKIT=${TAPKIT:-$BUILD/tapkit}
PEERS=${HUB_PEERS:-1 1000}
PINGS=${HUB_PINGS:-300}
TOLERANCE=${HUB_TOLERANCE:-10}
RSS_MAX_KB=${HUB_RSS_MAX_KB:-32768}
RESULTS=${HUB_RESULTS:-$ROOT/bench/results}
NH="tkhub$$h"
NP="tkhub$$p"
TMP=$(mktemp -d /tmp/tkhub.XXXXXX)
PIDS=()

log()
{
	printf '%s\n' "hub: $*" >&2
}

die()
{
	log "$*"
	exit 2
}

stop_all()
{
	proc_stop 10 "${PIDS[@]}"
	PIDS=()
}

# shellcheck disable=SC2317 # reached through the trap
cleanup()
{
	local rc=$?
	trap - EXIT
	trap '' INT TERM
	stop_all
	proc_netns_del "$NH" "$NP"
	[[ -n ${HUB_KEEP:-} ]] || rm -rf "$TMP"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[[ $EUID -eq 0 ]] || die "needs root (network namespaces, TAP adapters)"
[[ -x $TAPKIT ]] || die "$TAPKIT is not built (run make, or set TK_BUILD_DIR)"
for c in ip ping python3 timeout valgrind callgrind_control; do
	command -v "$c" >/dev/null || die "needs '$c' (apt-get install -y valgrind iputils-ping)"
done

# ---- the namespaces: one veth, the client's side carrying every peer's address ----------------

ip netns add "$NH" || die "cannot create network namespaces"
ip netns add "$NP" || die "cannot create network namespaces"
for ns in "$NH" "$NP"; do
	ip -n "$ns" link set lo up
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add "tkh$$a" type veth peer name "tkh$$b"
ip link set "tkh$$a" netns "$NH" name ul0
ip link set "tkh$$b" netns "$NP" name ul0
ip -n "$NH" addr add 10.97.0.1/16 dev ul0
ip -n "$NP" addr add 10.97.0.2/16 dev ul0
ip -n "$NH" link set ul0 up
ip -n "$NP" link set ul0 up

max=1
for n in $PEERS; do
	((n > max)) && max=$n
done
# the other peers' addresses: 10.97.1.1, 10.97.1.2, ... (one batch for ip, not one call each)
python3 -c '
import sys
for i in range(1, int(sys.argv[1])):
    print("addr add 10.97.%d.%d/16 dev ul0" % (1 + (i - 1) // 250, 1 + (i - 1) % 250))
' "$max" >"$TMP/addrs.batch"
if [[ -s $TMP/addrs.batch ]]; then
	ip -n "$NP" -batch "$TMP/addrs.batch" || die "cannot add the peers' addresses"
fi

# hub_conf N: the hub's file with N peers: N-1 idle ones first, each with an AllowedMACs entry
# (static entries of the MAC table), then the live one last (the worst place for a list scan)
hub_conf()
{
	{
		printf '[Interface]\nName = tkh\nListenAddress = 10.97.0.1:4789\nAddress = 10.250.6.1/24\n'
		printf 'MACAddress = 02:00:00:00:06:01\n'
		python3 -c '
import sys
for i in range(1, int(sys.argv[1])):
    a, b = 1 + (i - 1) // 250, 1 + (i - 1) % 250
    print("\n[Peer]\nEndpoint = 10.97.%d.%d:4789\nAllowedMACs = 02:00:01:00:%02x:%02x" % (a, b, a, b))
' "$1"
		printf '\n[Peer]\nEndpoint = 10.97.0.2:4789\n'
	} >"$TMP/hub$1.conf"
}

# wait_line FILE REGEX SECONDS
wait_line()
{
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -Eq "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# hub_pid: the running hub's pid, from its status
hub_pid()
{
	ip netns exec "$NH" timeout 20 "$TAPKIT" tunnel status --json 2>/dev/null |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["tunnel"]["pid"])' 2>/dev/null
}

# start_client: the client tunnel and the neighbours, static so no ARP runs while measuring
start_client()
{
	ip netns exec "$NP" timeout 600 "$TAPKIT" tunnel run --dev tkc --listen 10.97.0.2:4789 \
		--peer 10.97.0.1:4789 --addr 10.250.6.2/24 --mac 02:00:00:00:06:02 \
		>"$TMP/client.out" 2>"$TMP/client.err" &
	PIDS+=($!)
	wait_line "$TMP/client.out" '^tunnel .* running' 15 || die "the client tunnel did not start: $(tail -n 3 "$TMP/client.err")"
}

neighbours()
{
	ip -n "$NP" neigh replace 10.250.6.1 lladdr 02:00:00:00:06:01 dev tkc nud permanent
	ip -n "$NH" neigh replace 10.250.6.2 lladdr 02:00:00:00:06:02 dev tkh nud permanent
}

# ping_hub COUNT INTERVAL: pings the hub's adapter from the client; prints the replies received
ping_hub()
{
	ip netns exec "$NP" timeout $(($1 / 20 + 60)) ping -q -n -c "$1" -i "$2" -W 2 10.250.6.1 2>/dev/null |
		sed -n 's/.* \([0-9]*\) received.*/\1/p'
}

declare -A IR FR RSS
for n in $PEERS; do
	hub_conf "$n"
	log "$n peer(s): the hub under callgrind"
	start_client
	ip netns exec "$NH" timeout 900 valgrind --tool=callgrind --instr-atstart=no \
		"--callgrind-out-file=$TMP/cg$n.out" "$TAPKIT" tunnel run --config "$TMP/hub$n.conf" \
		>"$TMP/hub$n.out" 2>"$TMP/hub$n.err" &
	PIDS+=($!)
	wait_line "$TMP/hub$n.out" '^tunnel .* running' 120 || die "the hub did not start under valgrind: $(tail -n 3 "$TMP/hub$n.err")"
	vg=$(hub_pid) # valgrind runs the program in its own process: the pid the hub reports
	neighbours
	timeout 30 callgrind_control -i on "$vg" >/dev/null 2>&1 || die "callgrind_control -i on $vg failed"
	[[ $(ping_hub 30 0.05) -gt 0 ]] || die "no reply through the hub ($n peers) while warming up"
	timeout 30 callgrind_control -z "$vg" >/dev/null 2>&1 || die "callgrind_control -z $vg failed"
	got=$(ping_hub "$PINGS" 0.01)
	timeout 30 callgrind_control -d "$vg" >/dev/null 2>&1 || die "callgrind_control -d $vg failed"
	stop_all
	out=$TMP/cg$n.out
	[[ -s $out.1 ]] && out=$out.1 # the dump made after the pings, not the one at exit
	ir=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p; s/^totals: *\([0-9]*\).*/\1/p' "$out" | head -n 1)
	# a ping that came back crossed the hub twice: one datagram in, one frame out
	[[ $ir =~ ^[0-9]+$ && $got =~ ^[0-9]+$ && $got -gt 0 ]] ||
		die "no figures for $n peers: Ir '${ir:-none}', $got replies"
	IR[$n]=$ir
	FR[$n]=$((2 * got))
	log "$n peer(s): $ir Ir for ${FR[$n]} frames ($got of $PINGS pings answered): $((ir / FR[$n])) Ir/frame"

	log "$n peer(s): the hub natively, peak RSS"
	start_client
	ip netns exec "$NH" timeout 300 "$TAPKIT" tunnel run --config "$TMP/hub$n.conf" \
		>"$TMP/hubn$n.out" 2>"$TMP/hubn$n.err" &
	PIDS+=($!)
	wait_line "$TMP/hubn$n.out" '^tunnel .* running' 30 || die "the hub did not start: $(tail -n 3 "$TMP/hubn$n.err")"
	hp=$(hub_pid)
	neighbours
	ping_hub 200 0.01 >/dev/null
	RSS[$n]=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$hp/status")
	stop_all
	log "$n peer(s): peak RSS ${RSS[$n]} kB"
done

# ---- the verdict ---------------------------------------------------------------------------

mkdir -p "$RESULTS"
model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
first=${PEERS%% *}
last=${PEERS##* }
rc=0
{
	printf '# bench/hub.sh, %s, %s\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$model"
	printf '%-8s %12s %10s %12s\n' peers Ir/frame frames peak_RSS_kB
	for n in $PEERS; do
		printf '%-8s %12s %10s %12s\n' "$n" "$((IR[$n] / FR[$n]))" "${FR[$n]}" "${RSS[$n]}"
	done
} | tee "$RESULTS/hub.txt"
a=$((IR[$first] / FR[$first]))
b=$((IR[$last] / FR[$last]))
if ((b * 100 > a * (100 + TOLERANCE) || b * 100 < a * (100 - TOLERANCE))); then
	echo "MISS per-frame cost: $b Ir/frame with $last peers against $a with $first (over ${TOLERANCE}%)"
	rc=1
else
	echo "PASS per-frame cost: $b Ir/frame with $last peers, $a with $first (within ${TOLERANCE}%)"
fi
for n in $PEERS; do
	if ((RSS[$n] >= RSS_MAX_KB)); then
		echo "MISS peak RSS with $n peers: ${RSS[$n]} kB (limit $RSS_MAX_KB)"
		rc=1
	fi
done
((rc == 0)) && echo "PASS peak RSS under $RSS_MAX_KB kB"
exit "$rc"
