#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# System calls and context switches of the tunnel per unit of work (bench/README.md, "System
# calls per round trip and per byte"): figures that the machine's load does not distort, so two
# builds can be compared on a shared machine where throughput and RTT are noise. Two tapkit
# tunnels between two namespaces; for each mode (plain, sealed) and each test, the kernel's
# tracepoints count every system call of each tunnel process (perf stat -e raw_syscalls:... -p,
# which counts in the kernel, unlike strace, and hardly slows the tunnel):
#
#   ping   SC_PINGS pings (1000 bytes, 5 ms apart) from B to A: per round trip
#   tcp    iperf3 -n SC_BYTES from B to A (B's tunnel reads TSO super-frames from its TAP and
#          sends; A's receives and writes to its TAP): per MB received, and A's TAP writes per
#          datagram it received
#   udp64  iperf3 -u -l 64 -n SC_UDP_BYTES at SC_UDP_RATE from B to A: per 1000 packets sent
#
#   +------ $NA ------+   veth ul0 10.96.0.0/24   +------ $NB ------+
#   | tka 10.251.0.1  |<=========================>| tkb 10.251.0.2  |
#   +-----------------+                           +-----------------+
#
# The batch sizes (and with them the calls per byte) still depend on timing: compare builds on
# the same machine in the same hour, and the ping figures (one frame per wake-up) most of all.
# Environment: TK_BUILD_DIR, TAPKIT, SC_MODES ("plain sealed"), SC_TESTS ("ping tcp udp64"),
# SC_PINGS (200), SC_BYTES (200M), SC_UDP_BYTES (640K: 10000 datagrams), SC_UDP_RATE (20M).
# Needs root, perf, iperf3. Every command is bounded in time; a trap deletes the namespaces.
set -uo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${TK_BUILD_DIR:-$ROOT/build}
TAPKIT=${TAPKIT:-$BUILD/tapkit}
MODES=${SC_MODES:-plain sealed}
TESTS=${SC_TESTS:-ping tcp udp64}
PINGS=${SC_PINGS:-200}
BYTES=${SC_BYTES:-200M}
UDP_BYTES=${SC_UDP_BYTES:-640K}
UDP_RATE=${SC_UDP_RATE:-20M}
NA="tksc$$a"
NB="tksc$$b"
TMP=$(mktemp -d /tmp/tksc.XXXXXX)
EVENTS=(raw_syscalls:sys_enter syscalls:sys_enter_epoll_wait syscalls:sys_enter_read
	syscalls:sys_enter_write syscalls:sys_enter_recvmmsg syscalls:sys_enter_sendmmsg
	syscalls:sys_enter_sendmsg syscalls:sys_enter_sendto syscalls:sys_enter_timerfd_settime
	context-switches)
NAMES=(all epoll_wait read write recvmmsg sendmmsg sendmsg sendto timerfd_set ctxsw)
BENCH_NAME=syscalls
BENCH_NS="$NA $NB"
BENCH_KEEP=${SC_KEEP:-}
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
bench_traps

[[ $EUID -eq 0 ]] || die "needs root (network namespaces, TAP adapters, tracepoints)"
[[ -x $TAPKIT ]] || die "$TAPKIT is not built (run make, or set TK_BUILD_DIR)"
for c in ip ping python3 timeout perf iperf3; do
	command -v "$c" >/dev/null || die "needs '$c' (apt-get install -y linux-perf iperf3 iputils-ping)"
done
perf stat -e raw_syscalls:sys_enter -x, true >/dev/null 2>&1 ||
	die "perf cannot count the syscall tracepoints here (tracefs mounted? kernel.perf_event_paranoid?)"

bench_pair "$NA" 10.96.0.1/24 "$NB" 10.96.0.2/24
(umask 077 && "$TAPKIT" genkey >"$TMP/a.key" && "$TAPKIT" genkey >"$TMP/b.key") ||
	die "tapkit genkey failed"
{ "$TAPKIT" pubkey <"$TMP/a.key" >"$TMP/a.pub" && "$TAPKIT" pubkey <"$TMP/b.key" >"$TMP/b.pub"; } ||
	die "tapkit pubkey failed"


# status SIDE EXPR: a Python expression over the status document d
status()
{
	local ns=$NA
	[[ $1 == b ]] && ns=$NB
	ip netns exec "$ns" timeout 20 "$TAPKIT" tunnel status --control "$TMP/$1.sock" --json 2>/dev/null |
		python3 -c 'import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))' "$2"
}

# start_end NS SIDE ME PEER MODE: one tunnel, its pid in TPID
start_end()
{
	local ns=$1 s=$2 me=$3 peer=$4 mode=$5 other extra=()
	other=$([[ $s == a ]] && echo b || echo a)
	[[ $mode == sealed ]] && extra=(--mode sealed --key "$TMP/$s.key" --peer-key "$(cat "$TMP/$other.pub")")
	local vg=()
	[[ " ${SC_CALLGRIND:-} " == *" $s "* ]] &&
		vg=(valgrind --tool=callgrind --instr-atstart=no "--callgrind-out-file=$TMP/cg.$s")
	ip netns exec "$ns" timeout 900 "${vg[@]}" "$TAPKIT" tunnel run --dev "tk$s" --listen "10.96.0.$me:4789" \
		--peer "10.96.0.$peer:4789" --addr "10.251.0.$me/24" --mac "02:00:00:00:07:0$me" \
		--control "$TMP/$s.sock" "${extra[@]}" >"$TMP/$s.out" 2>"$TMP/$s.err" &
	PIDS+=($!)
	wait_line "$TMP/$s.out" '^tunnel .* running' 120 || die "tunnel $s did not start: $(tail -n 3 "$TMP/$s.err")"
	# the tunnel's own pid (timeout runs it as a child)
	TPID=$(status "$s" 'd["tunnel"]["pid"]')
	[[ $TPID =~ ^[0-9]+$ ]] || die "no pid in tunnel $s's status"
	if ((${#vg[@]})); then
		timeout 30 callgrind_control -i on "$TPID" >/dev/null 2>&1 || die "callgrind_control -i on failed"
		CG+=("$s:$TPID")
	fi
}

RX='sum(p["rx_frames"] for p in d["tunnel"]["peers"])'

# counting: perf stat on each tunnel process while "$@" runs; the counts in $TMP/perf.{a,b}
counting()
{
	local ev pa pb
	ev=$(
		IFS=,
		echo "${EVENTS[*]}"
	)
	perf stat -x, -e "$ev" -p "$PA" -o "$TMP/perf.a" &
	pa=$!
	perf stat -x, -e "$ev" -p "$PB" -o "$TMP/perf.b" &
	pb=$!
	sleep 0.5 # perf attached
	local c
	for c in "${CG[@]}"; do
		timeout 30 callgrind_control -z "${c#*:}" >/dev/null 2>&1
	done
	"$@"
	kill -INT "$pa" "$pb"
	wait "$pa" "$pb"
	local dumps
	for c in "${CG[@]}"; do
		rm -f "$TMP/cg.${c%%:*}".[0-9]*
		timeout 60 callgrind_control -d "${c#*:}" >/dev/null 2>&1
		dumps=("$TMP/cg.${c%%:*}".[0-9]*) # the one dump just made
		cp "${dumps[0]}" "$TMP/cg.${c%%:*}.last" 2>/dev/null
	done
}

# row LABEL DIVISOR UNIT: per-unit figures of both ends from the last counting
row()
{
	local s
	for s in a b; do
		python3 - "$TMP/perf.$s" "$1 $s" "$2" "$3" "${EVENTS[@]}" <<'EOF'
import sys
path, label, div, unit = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
events = sys.argv[5:]
counts = {}
for line in open(path):
    f = line.strip().split(",")
    if len(f) > 2 and f[2] in events:
        counts[f[2]] = float(f[0]) if f[0].replace(".", "").isdigit() else float("nan")
print("%-16s %-10s" % (label, unit) + "".join("%12.2f" % (counts.get(e, float("nan")) / div) for e in events))
EOF
	done
	local c ir
	for c in "${CG[@]}"; do
		ir=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p; s/^totals: *\([0-9]*\).*/\1/p' "$TMP/cg.${c%%:*}.last" | head -n 1)
		printf '%-16s %-10s %12s Ir (callgrind, %s)\n' "$1 ${c%%:*}" "$3" \
			"$(python3 -c 'import sys; print("%.0f" % (float(sys.argv[1]) / float(sys.argv[2])))' "${ir:-0}" "$2")" \
			"$TMP/cg.${c%%:*}.last"
	done
}

model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
printf '# bench/syscalls.sh, %s, %s, %s CPUs, tapkit %s\n' "$(date -u +%Y-%m-%dT%H:%MZ)" "$model" \
	"$(nproc)" "$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo '?')"
printf '%-16s %-10s' test unit
printf '%12s' "${NAMES[@]}"
printf '\n'

for mode in $MODES; do
	CG=()
	start_end "$NA" a 1 2 "$mode"
	PA=$TPID
	start_end "$NB" b 2 1 "$mode"
	PB=$TPID
	ip -n "$NA" neigh replace 10.251.0.2 lladdr 02:00:00:00:07:02 dev tka nud permanent
	ip -n "$NB" neigh replace 10.251.0.1 lladdr 02:00:00:00:07:01 dev tkb nud permanent
	got=0
	for ((i = 0; i < 30 && got == 0; i++)); do
		ip netns exec "$NB" timeout 3 ping -c 1 -W 1 10.251.0.1 >/dev/null 2>&1 && got=1
	done
	((got)) || die "no ping through the $mode tunnel"
	for t in $TESTS; do
		case $t in
		ping)
			counting sh -c "ip netns exec $NB timeout $((PINGS / 50 + 30)) ping -q -n -c $PINGS -i 0.005 -s 1000 -W 2 10.251.0.1 >$TMP/ping.out 2>&1"
			n=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$TMP/ping.out")
			[[ $n =~ ^[0-9]+$ && $n -gt 0 ]] || die "no ping answered ($mode)"
			row "$mode ping" "$n" "per RTT"
			;;
		tcp)
			ip netns exec "$NA" timeout 120 iperf3 -s -1 -B 10.251.0.1 >/dev/null 2>&1 &
			srv=$!
			sleep 0.5
			rx0=$(status a "$RX")
			counting ip netns exec "$NB" timeout 100 iperf3 -c 10.251.0.1 -n "$BYTES" -J >"$TMP/tcp.json" 2>&1
			wait "$srv" 2>/dev/null
			rx1=$(status a "$RX")
			mb=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["end"]["sum_received"]["bytes"]/1e6)' "$TMP/tcp.json") ||
				die "iperf3 -n $BYTES failed ($mode): $(tail -n 3 "$TMP/tcp.json")"
			row "$mode tcp" "$mb" "per MB"
			w=$(sed -n 's/^\([0-9]*\),.*sys_enter_write,.*/\1/p' "$TMP/perf.a")
			printf '%-16s %s datagrams received by A, %s writes to its TAP: %s datagrams per write\n' \
				"$mode tcp" "$((rx1 - rx0))" "$w" "$(python3 -c 'import sys; print("%.2f" % (float(sys.argv[1]) / max(1.0, float(sys.argv[2] or 0))))' "$((rx1 - rx0))" "$w")"
			;;
		udp64)
			ip netns exec "$NA" timeout 120 iperf3 -s -1 -B 10.251.0.1 >/dev/null 2>&1 &
			srv=$!
			sleep 0.5
			counting ip netns exec "$NB" timeout 100 iperf3 -c 10.251.0.1 -u -l 64 -b "$UDP_RATE" -n "$UDP_BYTES" -J >"$TMP/udp.json" 2>&1
			wait "$srv" 2>/dev/null
			k=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["end"]["sum"]["packets"]/1000)' "$TMP/udp.json") ||
				die "iperf3 -u failed ($mode): $(tail -n 3 "$TMP/udp.json")"
			row "$mode udp64" "$k" "per kpkt"
			;;
		*) die "unknown test $t (ping tcp udp64)" ;;
		esac
	done
	stop_all
done
