#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The benchmark (bench/README.md): two network namespaces joined by a veth pair, and side by side
# in one run the raw veth, the kernel's vxlan, tapkit plain, tapkit sealed, OpenVPN 2.6 (--dev tap,
# no cipher and AES-256-GCM), tinc 1.0 (switch mode), wireguard-go (L3) and the kernel's vxlan
# over wireguard-go. For each: TCP throughput (iperf3, 1 and 4 streams), ping RTT (median, p99),
# 64-byte UDP packets per second received, CPU seconds per GB moved (/proc/stat, all CPUs; and
# the tunnel daemons' own /proc/PID/stat) and the daemons' peak RSS under load. Then the targets
# as MET/MISSED lines computed from this run's figures (with, for a miss, whether tapkit or the
# platform is short), an SVG chart next to the Markdown table, and callgrind instructions per
# frame of one tapkit end (plain and sealed) as a regression number.
#
#   +------------- $NA -------------+   veth ul0 10.99.77.0/24   +------------- $NB -------------+
#   | inner 10.200.N.1/24 (client)  |<======== underlay ========>| inner 10.200.N.2/24 (server)  |
#   +-------------------------------+                            +-------------------------------+
#
# Every packet stays inside the two namespaces; every command is bounded by `timeout`, the whole
# run by BENCH_MAX_SECONDS; a trap on EXIT/INT/TERM stops every daemon and deletes the
# namespaces. A setup that does not come up prints "n/a" and why; the run goes on.
#
# Environment: TK_BUILD_DIR (default build/), TAPKIT (default $TK_BUILD_DIR/tapkit),
# BENCH_SECONDS (iperf3 -t, default 5), BENCH_PINGS (default 1000, at -i 0.002),
# BENCH_ONLY (space-separated setup ids: veth vxlan relay tk-plain tk-sealed ovpn-none ovpn-gcm
# tinc wg wg-vxlan), BENCH_RELAY (the reference relay, default $TK_BUILD_DIR/bench_relay),
# BENCH_UDP_RATE (iperf3 -u -l 64 -b, default 400M: 781 kpps offered), BENCH_UDP_SECONDS
# (default BENCH_SECONDS), BENCH_AEAD_SECONDS (bench_aead per direction, default 2), BENCH_AEAD
# (default $TK_BUILD_DIR/bench_aead), BENCH_TCP_CC (TCP congestion control in both namespaces,
# default cubic, Debian's),
# BENCH_CALLGRIND (0: skip), BENCH_CG_PINGS (default 1000), BENCH_MAX_SECONDS (default 600),
# BENCH_RESULTS (output directory, default bench/results), BENCH_README (0: leave
# bench/README.md alone), BENCH_LABEL (a note for the header and the chart's title, e.g. that
# this is a smoke run on a loaded machine).
set -uo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=scripts/lib/proc.sh
source "$ROOT/scripts/lib/proc.sh"
BUILD=${TK_BUILD_DIR:-$ROOT/build}
TAPKIT=${TAPKIT:-$BUILD/tapkit}
RELAY=${BENCH_RELAY:-$BUILD/bench_relay}
T=${BENCH_SECONDS:-5}
PINGS=${BENCH_PINGS:-1000}
ONLY=${BENCH_ONLY:-}
CALLGRIND=${BENCH_CALLGRIND:-1}
MAX_SECONDS=${BENCH_MAX_SECONDS:-600}
UDP_RATE=${BENCH_UDP_RATE:-400M}
UDP_T=${BENCH_UDP_SECONDS:-$T}
AEAD_T=${BENCH_AEAD_SECONDS:-2}
TCP_CC=${BENCH_TCP_CC:-cubic}
LABEL_NOTE=${BENCH_LABEL:-}
RESULTS=${BENCH_RESULTS:-$ROOT/bench/results}
UPDATE_README=${BENCH_README:-1}
NA="tkb$$a"
NB="tkb$$b"
UA=10.99.77.1
UB=10.99.77.2
TMP=""
WATCHDOG=""
SAMPLER=""     # the RSS sampler (a subshell of this script) while iperf3 runs
BG_PIDS=()     # every background command of the current setup (timeout wrappers)
DPIDS=()       # the tunnel daemons of the current setup (for CPU and RSS)
TK_SOCK_A=""   # tapkit's control socket in $NA, when tapkit runs
FAIL=""        # why the current setup did not come up
INNER_B=""     # the server's inner address of the current setup
WGA="tkbw$$a" # wireguard-go's interfaces: their UAPI sockets share /var/run/wireguard
WGB="tkbw$$b"
HZ=$(getconf CLK_TCK)
NCPU=$(nproc)

SETUPS=()
declare -A LABEL T1 T4 PMED P99 CPUGB PCPUGB PUSERGB RSS NOTE
declare -A PPS PPS_SENT PPS_TCPU PPS_USER # 64-byte UDP: kpps received, sent; daemons s/Mpkt
declare -A GSO                            # UDP GSO (UDP_SEGMENT) sender: Gbit/s received
declare -A BUSY1 # the share of all CPUs' time busy during the 1-stream TCP test
declare -A TOP1  # the busiest daemon's share of one CPU (all its threads) during that test
declare -A CG_IR CG_FRAMES CG_NOTE

log()
{
	printf '%s\n' "bench: $*" >&2
}

cleanup()
{
	local rc=$?
	set +e
	# Nothing interrupts the clean-up (it is bounded: about 5 s per process at most).
	trap - EXIT
	trap '' INT TERM
	if [[ -n $WATCHDOG ]]; then
		# Its sleep first (killed, the sleep fails and the && chain stops), then the watchdog.
		pkill -P "$WATCHDOG" 2>/dev/null
		kill "$WATCHDOG" 2>/dev/null
	fi
	stop_sampler
	stop_setup
	proc_netns_del "$NA" "$NB"
	[[ -n $TMP ]] && rm -rf "$TMP"
	exit "$rc"
}

die()
{
	log "$*"
	exit 2
}

# ---- preconditions ---------------------------------------------------------------------------

[[ $EUID -eq 0 ]] || die "needs root (network namespaces, TAP adapters): sudo make bench"
[[ -x $TAPKIT ]] || die "$TAPKIT is not built (run make, or set TK_BUILD_DIR)"
for c in ip iperf3 ping python3 ss timeout pgrep; do
	command -v "$c" >/dev/null || die "needs '$c' (sudo ./setup.sh bench installs everything)"
done
[[ -c /dev/net/tun ]] || die "no /dev/net/tun (modprobe tun)"
[[ $T =~ ^[0-9]+$ && $T -ge 1 && $T -le 60 ]] || die "BENCH_SECONDS=$T: expected 1 to 60"
[[ $PINGS =~ ^[0-9]+$ && $PINGS -ge 10 && $PINGS -le 10000 ]] ||
	die "BENCH_PINGS=$PINGS: expected 10 to 10000"
[[ $UDP_T =~ ^[0-9]+$ && $UDP_T -ge 1 && $UDP_T -le 60 ]] ||
	die "BENCH_UDP_SECONDS=$UDP_T: expected 1 to 60"
[[ $UDP_RATE =~ ^[0-9]+[KMG]?$ ]] || die "BENCH_UDP_RATE=$UDP_RATE: expected an iperf3 -b rate such as 400M"
[[ $AEAD_T =~ ^[0-9]+$ && $AEAD_T -ge 1 && $AEAD_T -le 30 ]] ||
	die "BENCH_AEAD_SECONDS=$AEAD_T: expected 1 to 30"
# Every daemon lives long enough for the pings, two TCP runs and the UDP run of its setup.
DAEMON_S=$((120 + 2 * T + UDP_T + PINGS / 100))
BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$BUILD/CMakeCache.txt" 2>/dev/null)
SANITIZE=$(sed -n 's/^TK_SANITIZE:BOOL=//p' "$BUILD/CMakeCache.txt" 2>/dev/null)
if [[ $SANITIZE == ON || $BUILD_TYPE == Debug ]]; then
	log "warning: $BUILD is a ${BUILD_TYPE:-?} build (TK_SANITIZE=${SANITIZE:-?}): tapkit's figures will not mean much; use make bench (build/, RelWithDebInfo)"
fi

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
TMP=$(mktemp -d /tmp/tkbench.XXXXXX)
chmod 0700 "$TMP"
# The whole run is bounded: past MAX_SECONDS the script ends itself (through cleanup).
# bash runs the TERM trap once its foreground command ends: end that too (every process in the
# two namespaces was started by this script).
# (`wait` on a background sleep: a sleep killed in the foreground would print "Terminated".)
{
	sleep "$MAX_SECONDS" &
	wait "$!" &&
		log "the run took more than BENCH_MAX_SECONDS=$MAX_SECONDS s: stopping" &&
		kill -TERM $$ &&
		for ns in "$NA" "$NB"; do
			for pid in $(ip netns pids "$ns" 2>/dev/null); do
				kill -TERM "$pid" 2>/dev/null
			done
		done
} &
WATCHDOG=$!
disown "$WATCHDOG"

# ---- the underlay ----------------------------------------------------------------------------

ip netns add "$NA" || die "cannot create network namespaces here (ip netns add $NA failed)"
ip netns add "$NB" || die "cannot create network namespace $NB"
ip link add "tkbv$$a" type veth peer name "tkbv$$b" || die "cannot create a veth pair"
ip link set "tkbv$$a" netns "$NA" name ul0
ip link set "tkbv$$b" netns "$NB" name ul0
ip -n "$NA" addr add "$UA/24" dev ul0
ip -n "$NB" addr add "$UB/24" dev ul0
for ns in "$NA" "$NB"; do
	ip -n "$ns" link set lo up
	ip -n "$ns" link set ul0 up
	# No IPv6: no router solicitations or MLD on the inner interfaces, only the traffic we make.
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
# TCP's congestion control is the host's unless set: a host with bbr (pacing) and one with
# Debian's cubic would measure different things. Pinned per connection (iperf3 -C: a namespace's
# default may only name what the host allows), and printed in the header.
grep -qw -- "$TCP_CC" /proc/sys/net/ipv4/tcp_available_congestion_control 2>/dev/null ||
	modprobe "tcp_$TCP_CC" 2>/dev/null
grep -qw -- "$TCP_CC" /proc/sys/net/ipv4/tcp_available_congestion_control ||
	die "BENCH_TCP_CC=$TCP_CC: expected one of $(cat /proc/sys/net/ipv4/tcp_available_congestion_control)"

# ---- helpers ---------------------------------------------------------------------------------

# start_bg NS LOG SECONDS CMD...: CMD in NS in the background under `timeout SECONDS`; DAEMON is
# the pid of CMD itself (the child of timeout), for /proc/PID/stat and signals.
start_bg()
{
	local ns=$1 out=$2 secs=$3 w i
	shift 3
	ip netns exec "$ns" timeout "$secs" "$@" >"$out" 2>&1 &
	w=$!
	BG_PIDS+=("$w")
	DAEMON=""
	for ((i = 0; i < 50; i++)); do
		DAEMON=$(pgrep -P "$w" | head -n 1)
		[[ -n $DAEMON ]] && return 0
		kill -0 "$w" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}

# fgw FILE CMD...: CMD (output to FILE) waited for in the background, so that Ctrl-C reaches this
# script's trap at once: a foreground ping or iperf3 catches SIGINT itself, prints its summary
# and exits normally, and bash would carry on with the next measurement.
fgw()
{
	local out=$1
	shift
	"$@" >"$out" 2>&1 &
	wait "$!"
}

# wait_for SECONDS CMD...: polls CMD every 0.2 s until it succeeds.
wait_for()
{
	local n=$(($1 * 5)) i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}

has_line()
{
	grep -qE "$2" "$1"
}

ping_once()
{
	ping_from "$NA" "$1"
}

ping_from()
{
	ip netns exec "$1" ping -n -c 1 -W 1 "$2" >/dev/null
}

listening()
{
	ip netns exec "$1" ss -ltnH "sport = :$2" | grep -q .
}

# Busy jiffies of all CPUs (user nice system irq softirq steal; guest is inside user).
cpu_busy()
{
	local _cpu user nice system idle iowait irq softirq steal _rest
	read -r _cpu user nice system idle iowait irq softirq steal _rest </proc/stat
	echo $((user + nice + system + irq + softirq + steal))
}

cpu_total()
{
	local _cpu user nice system idle iowait irq softirq steal _rest
	read -r _cpu user nice system idle iowait irq softirq steal _rest </proc/stat
	echo $((user + nice + system + idle + iowait + irq + softirq + steal))
}

# "utime+stime utime" (jiffies) of each daemon, one line each in the order of DPIDS ("0 0" for
# one gone); fields 14 and 15 of /proc/PID/stat, counted after the ")" that ends the command
# name (which may contain spaces). utime is the daemons' own code (and libraries); stime the
# kernel's work in their system calls.
proc_cpu_each()
{
	local pid stat f
	for pid in "${DPIDS[@]}"; do
		stat=$(cat "/proc/$pid/stat" 2>/dev/null) || {
			echo "0 0"
			continue
		}
		read -ra f <<<"${stat##*) }"
		echo "$((f[11] + f[12])) ${f[11]}"
	done
}

# cpu_sum: proc_cpu_each's lines (stdin) summed: "utime+stime utime" of all the daemons.
cpu_sum()
{
	local t u sum=0 user=0
	while read -r t u; do
		sum=$((sum + t))
		user=$((user + u))
	done
	echo "$sum $user"
}

proc_cpu()
{
	proc_cpu_each | cpu_sum
}

# rss_sampler FILE: the largest VmRSS (KiB) of any one daemon, sampled every 0.2 s, into FILE;
# bounded to the iperf3 client's time limit.
rss_sampler()
{
	local file=$1 max=0 pid k v _u i
	echo 0 >"$file"
	for ((i = 0; i < (T + 20) * 5; i++)); do
		for pid in "${DPIDS[@]}"; do
			while read -r k v _u; do
				if [[ $k == VmRSS: && $v -gt $max ]]; then
					max=$v
					echo "$max" >"$file"
				fi
			done <"/proc/$pid/status" 2>/dev/null
		done
		sleep 0.2
	done
}

stop_sampler()
{
	if [[ -n $SAMPLER ]]; then
		kill "$SAMPLER" 2>/dev/null
		wait "$SAMPLER" 2>/dev/null
		SAMPLER=""
	fi
}

# stop_setup: TERM to the setup's commands, KILL after 5 s, then anything left in the namespaces
# (all of it started by this script) and the setup's inner interfaces.
stop_setup()
{
	local pid ns
	proc_stop 5 "${DPIDS[@]}" "${BG_PIDS[@]}"
	for ns in "$NA" "$NB"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		ip -n "$ns" link del tkbvx 2>/dev/null
	done
	# wireguard-go removes its socket when it ends normally, not when killed
	rm -f "/var/run/wireguard/$WGA.sock" "/var/run/wireguard/$WGB.sock"
	BG_PIDS=()
	DPIDS=()
	TK_SOCK_A=""
}

# ---- the setups: up_ID brings one up (INNER_B, DPIDS) or sets FAIL and returns 1 ---------------

# side N: end N (1: $NA, the client; 2: $NB) into the caller's ns, self and peer (bash's dynamic
# scope: the caller declares them local).
side()
{
	# shellcheck disable=SC2034 # the caller's locals
	if [[ $1 == 1 ]]; then
		ns=$NA self=$UA peer=$UB
	else
		ns=$NB self=$UB peer=$UA
	fi
}

up_veth()
{
	INNER_B=$UB
}

up_vxlan()
{
	local ns self peer n
	for n in 1 2; do
		side "$n"
		if ! ip -n "$ns" link add tkbvx type vxlan id 1 remote "$peer" local "$self" dstport 4789 \
			dev ul0 || ! ip -n "$ns" addr add "10.200.1.$n/24" dev tkbvx ||
			! ip -n "$ns" link set tkbvx up; then
			FAIL="ip link add ... type vxlan failed in $ns"
			return 1
		fi
	done
	INNER_B=10.200.1.2
}

# The reference relay (bench/relay.c) on both ends: the floor of any TAP + UDP tunnel in user
# space. No offloads, so its throughput is no ceiling for anything; its RTT is the floor.
up_relay()
{
	local n ns self peer
	[[ -x $RELAY ]] || {
		FAIL="$RELAY is not built (cmake --build builds bench_relay; or set BENCH_RELAY)"
		return 1
	}
	for n in 1 2; do
		side "$n"
		start_bg "$ns" "$TMP/relay$n.log" "$DAEMON_S" "$RELAY" tkbrl "$self" "$peer" 4789 1 || true
		if [[ -z $DAEMON ]] || ! wait_for 5 has_line "$TMP/relay$n.log" '^relay tkbrl running'; then
			FAIL="expected 'relay tkbrl running' in $ns within 5 s, got: $(tail -n 3 "$TMP/relay$n.log" | tr '\n' ' ')"
			return 1
		fi
		DPIDS+=("$DAEMON")
		if ! ip -n "$ns" addr add "10.200.8.$n/24" dev tkbrl ||
			! ip -n "$ns" link set tkbrl mtu 1450 up; then
			FAIL="could not configure the relay's adapter in $ns"
			return 1
		fi
	done
	INNER_B=10.200.8.2
}

# tk_up MODE SUBNET [WRAPPER...]: tapkit on both ends; the one in $NA under WRAPPER (valgrind).
tk_up()
{
	local mode=$1 net=$2 n ns self peer args wait_s=15
	shift 2
	if [[ $mode == sealed && ! -f $TMP/tk1.key ]]; then
		for n in 1 2; do
			if ! (umask 077 && "$TAPKIT" genkey >"$TMP/tk$n.key") ||
				! "$TAPKIT" pubkey <"$TMP/tk$n.key" >"$TMP/tk$n.pub"; then
				FAIL="tapkit genkey/pubkey failed"
				return 1
			fi
		done
	fi
	for n in 2 1; do
		side "$n"
		args=(--log-level warn tunnel run --dev tkbt --mode "$mode" --vni 1 --listen "$self:4789"
			--peer "$peer:4789" --addr "$net.$n/24" --control "$TMP/tk$n.sock")
		if [[ $mode == sealed ]]; then
			args+=(--key "$TMP/tk$n.key" --peer-key "$(cat "$TMP/tk$((3 - n)).pub")")
		fi
		if [[ $n == 1 && $# -gt 0 ]]; then
			start_bg "$ns" "$TMP/tk$n.log" "$DAEMON_S" "$@" "$TAPKIT" "${args[@]}" || true
			wait_s=60
		else
			start_bg "$ns" "$TMP/tk$n.log" "$DAEMON_S" "$TAPKIT" "${args[@]}" || true
		fi
		[[ -n $DAEMON ]] || {
			FAIL="tapkit tunnel run did not start in $ns: $(tail -n 3 "$TMP/tk$n.log" | tr '\n' ' ')"
			return 1
		}
		DPIDS+=("$DAEMON")
		wait_for "$wait_s" has_line "$TMP/tk$n.log" '^tunnel .* running' || {
			FAIL="expected 'tunnel tkbt running' from tapkit in $ns within $wait_s s, got: $(tail -n 3 "$TMP/tk$n.log" | tr '\n' ' ')"
			return 1
		}
	done
	TK_SOCK_A=$TMP/tk1.sock
	INNER_B=$net.2
}

up_tk-plain()
{
	tk_up plain 10.200.2
}

up_tk-sealed()
{
	tk_up sealed 10.200.3 || return 1
	# the adapter's MTU (sealed mode's default leaves room for its 32 bytes) sizes the AEAD's messages
	SEALED_MTU=$(ip -n "$NA" -o link show tkbt | sed -n 's/.* mtu \([0-9]*\) .*/\1/p')
}

# ovpn_up CIPHER SUBNET: OpenVPN 2.6 point to point over UDP, --dev tap, TLS with self-signed
# certificates pinned by --peer-fingerprint (static-key mode is deprecated and cannot do GCM);
# the data cipher is negotiated (P2P NCP) from --data-ciphers. "none" also turns the HMAC off.
ovpn_up()
{
	local cipher=$1 net=$2 n ns self peer args
	command -v openvpn >/dev/null || {
		FAIL="openvpn is not installed (sudo ./setup.sh bench)"
		return 1
	}
	if [[ ! -f $TMP/ov1.crt ]]; then
		for n in 1 2; do
			timeout 20 openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
				-days 2 -subj "/CN=tkbench-$n" -keyout "$TMP/ov$n.key" -out "$TMP/ov$n.crt" \
				>/dev/null 2>&1 || {
				FAIL="openssl req (self-signed certificate) failed"
				return 1
			}
			openssl x509 -fingerprint -sha256 -noout -in "$TMP/ov$n.crt" | sed 's/.*=//' >"$TMP/ov$n.fp"
		done
	fi
	for n in 1 2; do
		side "$n"
		args=(--dev tkbov --dev-type tap --proto udp --local "$self" --remote "$peer" --port 1194
			--cert "$TMP/ov$n.crt" --key "$TMP/ov$n.key"
			--peer-fingerprint "$(cat "$TMP/ov$((3 - n)).fp")"
			--ifconfig "$net.$n" 255.255.255.0 --verb 3 --disable-dco)
		if [[ $n == 1 ]]; then
			args+=(--tls-server --dh none)
		else
			args+=(--tls-client)
		fi
		if [[ $cipher == none ]]; then
			args+=(--data-ciphers none --cipher none --auth none)
		else
			args+=(--data-ciphers "$cipher")
		fi
		start_bg "$ns" "$TMP/ov-$cipher-$n.log" "$DAEMON_S" openvpn "${args[@]}" || {
			FAIL="openvpn did not start in $ns: $(tail -n 3 "$TMP/ov-$cipher-$n.log" | tr '\n' ' ')"
			return 1
		}
		DPIDS+=("$DAEMON")
	done
	for n in 1 2; do
		wait_for 20 has_line "$TMP/ov-$cipher-$n.log" 'Initialization Sequence Completed' || {
			FAIL="expected 'Initialization Sequence Completed' from openvpn within 20 s, got: $(tail -n 2 "$TMP/ov-$cipher-$n.log" | tr '\n' ' ')"
			return 1
		}
	done
	if ! grep -qF "cipher=$cipher" "$TMP/ov-$cipher-1.log"; then
		FAIL="openvpn negotiated another data cipher than $cipher: $(grep -m1 'negotiation result' "$TMP/ov-$cipher-1.log")"
		return 1
	fi
	INNER_B=$net.2
}

up_ovpn-none()
{
	ovpn_up none 10.200.4
}

up_ovpn-gcm()
{
	ovpn_up AES-256-GCM 10.200.5
}

# tinc 1.0 in switch mode with its default cipher (aes-256-cbc + sha256 HMAC in 1.0.36); RSA
# keys made non-interactively (-K with stdin from /dev/null takes the default file names).
up_tinc()
{
	local n o ns net=10.200.6 d
	command -v tincd >/dev/null || {
		FAIL="tincd is not installed (sudo ./setup.sh bench)"
		return 1
	}
	for n in 1 2; do
		o=$((3 - n))
		d=$TMP/tinc$n
		mkdir -p "$d/hosts"
		printf 'Name = n%s\nMode = switch\nInterface = tkbtinc\nAddressFamily = ipv4\nBindToAddress = 10.99.77.%s\nConnectTo = n%s\n' \
			"$n" "$n" "$o" >"$d/tinc.conf"
		printf 'Address = 10.99.77.%s\nPort = 655\n' "$n" >"$d/hosts/n$n"
		# shellcheck disable=SC2016 # $INTERFACE is for tinc-up's shell
		printf '#!/bin/sh\nip link set "$INTERFACE" up\nip addr add %s.%s/24 dev "$INTERFACE"\n' \
			"$net" "$n" >"$d/tinc-up"
		chmod 0755 "$d/tinc-up"
		timeout 60 tincd -c "$d" -K2048 </dev/null >"$TMP/tinc$n.keygen" 2>&1 || {
			FAIL="tincd -K2048 failed: $(tail -n 2 "$TMP/tinc$n.keygen" | tr '\n' ' ')"
			return 1
		}
	done
	cp "$TMP/tinc1/hosts/n1" "$TMP/tinc2/hosts/n1"
	cp "$TMP/tinc2/hosts/n2" "$TMP/tinc1/hosts/n2"
	for n in 1 2; do
		ns=$NA
		[[ $n == 2 ]] && ns=$NB
		start_bg "$ns" "$TMP/tinc$n.log" "$DAEMON_S" tincd -c "$TMP/tinc$n" -D -d1 \
			--pidfile="$TMP/tinc$n.pid" || {
			FAIL="tincd did not start in $ns: $(tail -n 3 "$TMP/tinc$n.log" | tr '\n' ' ')"
			return 1
		}
		DPIDS+=("$DAEMON")
	done
	INNER_B=$net.2
}

# wg_up NET: Debian's wireguard-go on both ends (foreground, under timeout), configured with
# `wg` from wireguard-tools: ChaCha20-Poly1305 over UDP 51820, one peer each, NET.N/24 on the
# interface (an L3 tunnel). Its interface is a TUN owned by the process: it goes with it.
wg_up()
{
	local net=$1 n ns self peer ifc
	if ! command -v wireguard-go >/dev/null || ! command -v wg >/dev/null; then
		FAIL="wireguard-go or wg is not installed (sudo ./setup.sh bench: wireguard-go wireguard-tools)"
		return 1
	fi
	for n in 1 2; do
		if ! (umask 077 && wg genkey >"$TMP/wg$n.key") || ! wg pubkey <"$TMP/wg$n.key" >"$TMP/wg$n.pub"; then
			FAIL="wg genkey/pubkey failed"
			return 1
		fi
	done
	for n in 1 2; do
		side "$n"
		ifc=$WGA
		[[ $n == 2 ]] && ifc=$WGB
		start_bg "$ns" "$TMP/wg$n.log" "$DAEMON_S" env WG_PROCESS_FOREGROUND=1 wireguard-go "$ifc" || true
		[[ -n $DAEMON ]] || {
			FAIL="wireguard-go did not start in $ns: $(tail -n 3 "$TMP/wg$n.log" | tr '\n' ' ')"
			return 1
		}
		DPIDS+=("$DAEMON")
		wait_for 10 test -S "/var/run/wireguard/$ifc.sock" || {
			FAIL="expected wireguard-go's UAPI socket /var/run/wireguard/$ifc.sock within 10 s, got: $(tail -n 3 "$TMP/wg$n.log" | tr '\n' ' ')"
			return 1
		}
		if ! ip netns exec "$ns" timeout 10 wg set "$ifc" private-key "$TMP/wg$n.key" listen-port 51820 \
			peer "$(cat "$TMP/wg$((3 - n)).pub")" endpoint "$peer:51820" allowed-ips "$net.$((3 - n))/32" \
			>"$TMP/wg-set$n.log" 2>&1 || ! ip -n "$ns" addr add "$net.$n/24" dev "$ifc" ||
			! ip -n "$ns" link set "$ifc" up; then
			FAIL="could not configure wireguard-go's $ifc in $ns: $(tail -n 2 "$TMP/wg-set$n.log" | tr '\n' ' ')"
			return 1
		fi
	done
	INNER_B=$net.2
}

up_wg()
{
	wg_up 10.200.9
}

# The encrypted L2 a Linux user would build instead of tapkit sealed: the kernel's vxlan whose
# underlay is wireguard-go's interface (VXLAN over UDP 4789 to the peer's WireGuard address).
up_wg-vxlan()
{
	local n ns self peer
	wg_up 10.202.0 || return 1
	for n in 1 2; do
		side "$n"
		if ! ip -n "$ns" link add tkbvx type vxlan id 2 remote "10.202.0.$((3 - n))" local "10.202.0.$n" \
			dstport 4789 dev "$([[ $n == 1 ]] && echo "$WGA" || echo "$WGB")" ||
			! ip -n "$ns" addr add "10.200.10.$n/24" dev tkbvx || ! ip -n "$ns" link set tkbvx up; then
			FAIL="ip link add ... type vxlan dev (wireguard-go's interface) failed in $ns"
			return 1
		fi
	done
	INNER_B=10.200.10.2
}

# ---- measurements ----------------------------------------------------------------------------

# measure_ping ID: PINGS pings at 2 ms from $NA to INNER_B; median and p99 RTT in microseconds.
measure_ping()
{
	local id=$1 out r
	fgw "$TMP/ping.out" ip netns exec "$NA" timeout $((PINGS / 100 + 20)) \
		ping -n -c "$PINGS" -i 0.002 -W 1 "$INNER_B"
	out=$(cat "$TMP/ping.out")
	r=$(python3 -c '
import re, sys
rtt = sorted(float(m) * 1000 for m in re.findall(r"time=([0-9.]+) ms", sys.stdin.read()))
n = int(sys.argv[1])
if len(rtt) < n // 2:
    print("n/a n/a %d of %d replies" % (len(rtt), n)); sys.exit()
print("%.0f %.0f" % (rtt[len(rtt) // 2], rtt[min(len(rtt) - 1, -(-99 * len(rtt) // 100) - 1)]))
' "$PINGS" <<<"$out")
	read -r PMED["$id"] P99["$id"] _ <<<"$r"
	if [[ ${PMED[$id]} == n/a ]]; then
		NOTE[$id]+="ping: expected at least $((PINGS / 2)) of $PINGS replies, got ${r#n/a n/a }; "
	fi
}

# iperf_server ID SECONDS WHAT: a one-off iperf3 server on INNER_B in $NB (pid in SRV) for a
# client of SECONDS; a note about WHAT (the client's options) when it does not listen.
SRV=""
iperf_server()
{
	ip netns exec "$NB" timeout $(($2 + 25)) iperf3 -s -1 -B "$INNER_B" >"$TMP/iperf-srv.log" 2>&1 &
	SRV=$!
	wait_for 5 listening "$NB" 5201 && return 0
	NOTE[$1]+="iperf3 $3: the server did not listen within 5 s; "
	kill "$SRV" 2>/dev/null
	wait "$SRV" 2>/dev/null
	return 1
}

# measure_iperf ID STREAMS: a TCP transfer of T seconds from $NA to INNER_B; Gbit/s received,
# and the CPU it took (all CPUs, and the daemons alone), and the daemons' peak RSS.
IP_BYTES=0
IP_BUSY=0
IP_PROC=0
IP_USER=0
measure_iperf()
{
	local id=$1 streams=$2 b0 b1 t0 t1 p0 p1 u0 u1 out r rss e0 e1
	iperf_server "$id" "$T" "-P $streams" || return 1
	rss_sampler "$TMP/rss" &
	SAMPLER=$!
	b0=$(cpu_busy)
	t0=$(cpu_total)
	e0=$(proc_cpu_each)
	read -r p0 u0 <<<"$(cpu_sum <<<"$e0")"
	fgw "$TMP/iperf.json" ip netns exec "$NA" timeout $((T + 15)) \
		iperf3 -c "$INNER_B" -t "$T" -P "$streams" -C "$TCP_CC" -J --connect-timeout 5000
	out=$(cat "$TMP/iperf.json")
	b1=$(cpu_busy)
	t1=$(cpu_total)
	e1=$(proc_cpu_each)
	read -r p1 u1 <<<"$(cpu_sum <<<"$e1")"
	stop_sampler
	wait "$SRV" 2>/dev/null
	rss=$(cat "$TMP/rss" 2>/dev/null || echo 0)
	r=$(python3 -c '
import json, sys
try:
    d = json.loads(sys.stdin.read())
except ValueError:
    print("n/a expected iperf3 JSON, got none"); sys.exit()
s = d.get("end", {}).get("sum_received")
if "error" in d or not s:
    print("n/a " + d.get("error", "no sum_received in the iperf3 JSON"))
else:
    print("%.2f %d" % (s["bits_per_second"] / 1e9, s["bytes"]))
' <<<"$out")
	local gbps bytes
	read -r gbps bytes <<<"$r"
	if [[ $gbps == n/a ]]; then
		NOTE[$id]+="iperf3 -P $streams: $bytes; "
	else
		IP_BYTES=$((IP_BYTES + bytes))
		IP_BUSY=$((IP_BUSY + b1 - b0))
		IP_PROC=$((IP_PROC + p1 - p0))
		IP_USER=$((IP_USER + u1 - u0))
	fi
	if [[ $streams == 1 ]]; then
		T1[$id]=$gbps
		[[ $gbps == n/a || $t1 -le $t0 ]] ||
			BUSY1[$id]=$(python3 -c 'import sys; b, t = map(int, sys.argv[1:]); print("%.3f" % (b / t))' \
				"$((b1 - b0))" "$((t1 - t0))")
		# the busiest daemon: its jiffies over the test's wall time in one CPU's jiffies
		[[ $gbps == n/a || $t1 -le $t0 || -z $e0 ]] ||
			TOP1[$id]=$(python3 -c '
import sys
a, b = sys.argv[1].split()[::2], sys.argv[2].split()[::2]
wall = int(sys.argv[3]) / int(sys.argv[4])
print("%.3f" % (max(int(y) - int(x) for x, y in zip(a, b)) / wall))' "$e0" "$e1" "$((t1 - t0))" "$NCPU")
	else
		T4[$id]=$gbps
	fi
	if [[ ${#DPIDS[@]} -gt 0 && $rss -gt 0 ]]; then
		RSS[$id]=$(python3 -c 'import sys; print("%.1f" % max(float(sys.argv[1]), int(sys.argv[2]) / 1024))' \
			"${RSS[$id]/#-/0}" "$rss")
	fi
}

# per_mpkt JIFFIES PACKETS: seconds per million packets.
per_mpkt()
{
	python3 -c 'import sys; j, hz, n = map(int, sys.argv[1:]); print("%.3f" % (j / hz / (n / 1e6)) if n else "n/a")' \
		"$1" "$HZ" "$2"
}

# measure_udp ID: 64-byte UDP datagrams (iperf3 -u -l 64 -b UDP_RATE, UDP_T seconds) from $NA
# to INNER_B: thousands of packets per second received (and sent), and the daemons' CPU and user
# seconds per million packets received meanwhile (for the LIMIT per packet: iperf3's UDP sender
# keeps a CPU busy whatever the tunnel does, so the CPU of the whole machine says little here).
measure_udp()
{
	local id=$1 p0 p1 u0 u1 _p r
	iperf_server "$id" "$UDP_T" "-u" || return 1
	read -r p0 u0 <<<"$(proc_cpu)"
	fgw "$TMP/udp.json" ip netns exec "$NA" timeout $((UDP_T + 15)) \
		iperf3 -c "$INNER_B" -u -l 64 -b "$UDP_RATE" -t "$UDP_T" -J --connect-timeout 5000
	read -r p1 u1 <<<"$(proc_cpu)"
	wait "$SRV" 2>/dev/null
	r=$(python3 -c '
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except ValueError:
    print("n/a n/a expected iperf3 JSON, got none"); sys.exit()
e = d.get("end", {})
rx, tx = e.get("sum_received"), e.get("sum_sent")
if "error" in d or not rx or not tx or not rx.get("seconds"):
    print("n/a n/a " + d.get("error", "no sum_received in the iperf3 JSON")); sys.exit()
got = rx["packets"] - rx["lost_packets"]
print("%.0f %.0f %d" % (got / rx["seconds"] / 1e3, tx["packets"] / tx["seconds"] / 1e3, got))
' "$TMP/udp.json")
	read -r PPS["$id"] PPS_SENT["$id"] _p <<<"$r"
	if [[ ${PPS[$id]} == n/a ]]; then
		NOTE[$id]+="iperf3 -u -l 64: ${r#n/a n/a }; "
	else
		# jiffies per million packets received, all CPUs and the daemons' user time
		if [[ ${#DPIDS[@]} -gt 0 ]]; then
			PPS_TCPU[$id]=$(per_mpkt "$((p1 - p0))" "$_p")
			PPS_USER[$id]=$(per_mpkt "$((u1 - u0))" "$_p")
		fi
	fi
}

# measure_udpgso ID: UDP_T seconds of UDP GSO datagrams (40 of 1200 bytes per send, QUIC's size,
# unpaced: bench/udpgso.py) from $NA to INNER_B; Gbit/s of UDP payload received.
measure_udpgso()
{
	local id=$1 rcv r
	ip netns exec "$NB" timeout $((UDP_T + 15)) python3 "$ROOT/bench/udpgso.py" recv "$INNER_B" 7002 \
		"$UDP_T" >"$TMP/gso-recv.out" 2>&1 &
	rcv=$!
	if ! wait_for 5 has_line "$TMP/gso-recv.out" '^ready$'; then
		NOTE[$id]+="UDP GSO: the receiver did not start within 5 s ($(tail -n 1 "$TMP/gso-recv.out")); "
		kill "$rcv" 2>/dev/null
		wait "$rcv" 2>/dev/null
		return 1
	fi
	fgw "$TMP/gso-send.out" ip netns exec "$NA" timeout $((UDP_T + 10)) \
		python3 "$ROOT/bench/udpgso.py" send "$INNER_B" 7002 "$UDP_T" 1200
	wait "$rcv" 2>/dev/null
	r=$(sed -n 's/^received [0-9]* bytes, \([0-9.]*\) Gbit\/s$/\1/p' "$TMP/gso-recv.out")
	GSO[$id]=${r:-n/a}
	[[ -n $r ]] || NOTE[$id]+="UDP GSO: $(tail -n 1 "$TMP/gso-recv.out"); "
}

# run_setup ID LABEL: brings the setup up, waits for a ping through it, measures, stops it.
run_setup()
{
	local id=$1
	SETUPS+=("$id")
	LABEL[$id]=$2
	T1[$id]=n/a T4[$id]=n/a PMED[$id]=n/a P99[$id]=n/a CPUGB[$id]=n/a PCPUGB[$id]=- PUSERGB[$id]=-
	PPS[$id]=n/a PPS_SENT[$id]=n/a PPS_TCPU[$id]=n/a PPS_USER[$id]=n/a GSO[$id]=n/a
	RSS[$id]=-
	NOTE[$id]=""
	if [[ -n $ONLY && " $ONLY " != *" $id "* ]]; then
		NOTE[$id]="skipped (BENCH_ONLY)"
		return
	fi
	log "$2: setting up"
	FAIL=""
	INNER_B=""
	if ! "up_$id"; then
		NOTE[$id]="n/a: $FAIL"
		log "$2: $FAIL"
		stop_setup
		return
	fi
	if ! wait_for 20 ping_once "$INNER_B"; then
		NOTE[$id]="n/a: expected a ping reply from $INNER_B through the tunnel within 20 s, got none"
		log "$2: ${NOTE[$id]}"
		stop_setup
		return
	fi
	log "$2: ping x$PINGS, iperf3 1 and 4 streams x ${T}s, 64-byte UDP and UDP GSO x ${UDP_T}s each"
	measure_ping "$id"
	IP_BYTES=0 IP_BUSY=0 IP_PROC=0 IP_USER=0
	measure_iperf "$id" 1
	measure_iperf "$id" 4
	measure_udp "$id"
	measure_udpgso "$id"
	[[ $id == tk-* ]] && tk_drops "$id"
	if [[ $IP_BYTES -gt 0 ]]; then
		CPUGB[$id]=$(python3 -c 'import sys; j, hz, b = map(int, sys.argv[1:]); print("%.4f" % (j / hz / (b / 1e9)))' \
			"$IP_BUSY" "$HZ" "$IP_BYTES")
		if [[ ${#DPIDS[@]} -gt 0 ]]; then
			PCPUGB[$id]=$(python3 -c 'import sys; j, hz, b = map(int, sys.argv[1:]); print("%.4f" % (j / hz / (b / 1e9)))' \
				"$IP_PROC" "$HZ" "$IP_BYTES")
			PUSERGB[$id]=$(python3 -c 'import sys; j, hz, b = map(int, sys.argv[1:]); print("%.4f" % (j / hz / (b / 1e9)))' \
				"$IP_USER" "$HZ" "$IP_BYTES")
		fi
	fi
	stop_setup
}

# tk_drops ID: tapkit's non-zero drop counters of both ends after the measurements, as a note
# (a drop is a lost frame: it explains a low figure).
tk_drops()
{
	local n d
	for n in 1 2; do
		d=$(ip netns exec "$([[ $n == 1 ]] && echo "$NA" || echo "$NB")" timeout 10 \
			"$TAPKIT" tunnel status --control "$TMP/tk$n.sock" --json 2>/dev/null |
			python3 -c 'import json, sys; d = json.load(sys.stdin)["tunnel"]["drops"]; print(", ".join("%s %d" % kv for kv in sorted(d.items()) if kv[1]))' 2>/dev/null) ||
			d="(no status)"
		[[ -n $d ]] && NOTE[$1]+="drops at the $([[ $n == 1 ]] && echo client || echo server) end: $d; "
	done
	return 0
}

# tk_frames: rx + tx frames of every peer of tapkit in $NA, from its status.
tk_frames()
{
	ip netns exec "$NA" timeout 10 "$TAPKIT" tunnel status --control "$TK_SOCK_A" --json 2>/dev/null |
		python3 -c 'import json, sys; d = json.load(sys.stdin); print(sum(p["rx_frames"] + p["tx_frames"] for p in d["tunnel"]["peers"]))'
}

# callgrind MODE: tapkit in $NA under callgrind, the other end normal; counters zeroed once the
# tunnel carries traffic, then BENCH_CG_PINGS 1000-byte pings from $NB, then dumped (before the
# exit); Ir / (rx + tx frames).
callgrind()
{
	local mode=$1 net=10.200.7 out=$TMP/cg-$1.out f0 f1 vg ir pings=${BENCH_CG_PINGS:-1000}
	CG_IR[$mode]=n/a CG_FRAMES[$mode]=n/a CG_NOTE[$mode]=""
	if ! command -v valgrind >/dev/null || ! command -v callgrind_control >/dev/null; then
		CG_NOTE[$mode]="valgrind is not installed (sudo ./setup.sh bench)"
		return
	fi
	[[ $mode == sealed ]] && net=10.200.8
	log "callgrind: tapkit $mode under valgrind, $pings pings of 1000 bytes"
	FAIL=""
	if ! tk_up "$mode" "$net" valgrind --tool=callgrind "--callgrind-out-file=$out"; then
		CG_NOTE[$mode]=$FAIL
		stop_setup
		return
	fi
	vg=${DPIDS[1]}
	if ! wait_for 30 ping_from "$NB" "$net.1"; then
		CG_NOTE[$mode]="expected a ping reply from $net.1 (tapkit under valgrind) within 30 s, got none"
		stop_setup
		return
	fi
	f0=$(tk_frames)
	if ! timeout 20 callgrind_control -z "$vg" >"$TMP/cg-ctl.log" 2>&1; then
		CG_NOTE[$mode]="callgrind_control -z $vg failed: $(tail -n 2 "$TMP/cg-ctl.log" | tr '\n' ' ')"
		stop_setup
		return
	fi
	fgw /dev/null ip netns exec "$NB" timeout $((pings / 100 + 30)) \
		ping -q -n -c "$pings" -i 0.002 -s 1000 -W 1 "$net.1"
	f1=$(tk_frames)
	# dump now: the counts at exit would add the teardown (buffers wiped, libcrypto's cleanup),
	# a fixed cost that is not per frame
	timeout 20 callgrind_control -d "$vg" >>"$TMP/cg-ctl.log" 2>&1 || true
	proc_stop 20 "$vg"
	stop_setup
	[[ -s $out.1 ]] && out=$out.1 # the dump made after the pings
	ir=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$out" 2>/dev/null | head -n 1)
	[[ -n $ir ]] || ir=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$out" 2>/dev/null | head -n 1)
	if [[ -z $ir || ! $f0 =~ ^[0-9]+$ || ! $f1 =~ ^[0-9]+$ || $((f1 - f0)) -le 0 ]]; then
		CG_NOTE[$mode]="expected a totals: line in the callgrind output and frames in the status, got Ir '${ir:-none}', frames '${f0:-?}' -> '${f1:-?}'"
		return
	fi
	CG_IR[$mode]=$ir
	CG_FRAMES[$mode]=$((f1 - f0))
}

# aead_bench: the cipher's cost in this run, for sealed's LIMIT ceiling: bench_aead (bench/aead.c)
# seals and opens ChaCha20-Poly1305 messages of a full-size frame's size (VXLAN header +
# Ethernet header + the tunnel's MTU) one at a time, with the calls the tunnel makes per
# datagram (nonce, data, tag); plaintext bytes/s into AEAD_SEAL and AEAD_OPEN, the same cipher as
# one endless stream (what `openssl speed` measures) into AEAD_STREAM; "" when it fails, with the
# reason in AEAD_NOTE. AEAD_MSG: the message size; AEAD_PAYLOAD: the TCP payload of such a frame
# (MTU - IPv4 20 - TCP 20 - timestamps 12), what iperf3 counts.
AEAD_SEAL="" AEAD_OPEN="" AEAD_STREAM="" AEAD_NOTE="" AEAD_MSG="" AEAD_PAYLOAD=""
SEALED_MTU="" # tapkit sealed's adapter MTU, read when it came up
aead_bench()
{
	local out aead=${BENCH_AEAD:-$BUILD/bench_aead}
	# only when tapkit sealed ran: the ceiling is its
	[[ -n $ONLY && " $ONLY " != *" tk-sealed "* ]] && return 0
	if [[ ! $SEALED_MTU =~ ^[0-9]+$ ]]; then
		AEAD_NOTE="skipped: tapkit sealed did not come up, so its frame size is unknown"
		return 0
	fi
	AEAD_MSG=$((SEALED_MTU + 14 + 8))
	AEAD_PAYLOAD=$((SEALED_MTU - 52))
	log "ChaCha20-Poly1305 micro-benchmark: bench_aead, $AEAD_MSG-byte messages, ${AEAD_T}s each way"
	if [[ ! -x $aead ]]; then
		AEAD_NOTE="expected the micro-benchmark at $aead, found none (make bench builds it)"
		return 0
	fi
	out=$(timeout $((3 * AEAD_T + 20)) "$aead" "$AEAD_MSG" "$AEAD_T" 2>&1)
	AEAD_SEAL=$(sed -n 's/^seal \([0-9]*\)$/\1/p' <<<"$out")
	AEAD_OPEN=$(sed -n 's/^open \([0-9]*\)$/\1/p' <<<"$out")
	AEAD_STREAM=$(sed -n 's/^stream \([0-9]*\)$/\1/p' <<<"$out")
	if [[ -z $AEAD_SEAL || -z $AEAD_OPEN ]]; then
		AEAD_SEAL="" AEAD_OPEN=""
		AEAD_NOTE="bench_aead $AEAD_MSG $AEAD_T gave no seal/open figures: $(tail -n 2 <<<"$out" | tr '\n' ' ')"
	fi
}

# ---- the run ---------------------------------------------------------------------------------

b0=$(cpu_busy)
t0=$(cpu_total)
sleep 1
BACKGROUND=$(python3 -c 'import sys; b, t, n = map(int, sys.argv[1:]); print("%.2f" % (b / t * n if t else 0))' \
	"$(($(cpu_busy) - b0))" "$(($(cpu_total) - t0))" "$NCPU")
log "background load before the run: $BACKGROUND of $NCPU CPUs busy"

run_setup veth "veth (raw)"
run_setup vxlan "kernel vxlan"
run_setup relay "reference relay (floor)"
run_setup tk-plain "tapkit plain"
run_setup tk-sealed "tapkit sealed"
run_setup ovpn-none "OpenVPN tap, no cipher"
run_setup ovpn-gcm "OpenVPN tap, AES-256-GCM"
run_setup tinc "tinc 1.0 switch"
run_setup wg "wireguard-go (L3)"
run_setup wg-vxlan "kernel vxlan over wireguard-go"
aead_bench
if [[ $CALLGRIND != 0 ]]; then
	callgrind plain
	callgrind sealed
fi

# ---- report ----------------------------------------------------------------------------------

HEAD=("setup" "TCP 1 stream Gbit/s" "TCP 4 streams Gbit/s" "ping median us" "ping p99 us"
	"UDP 64 B kpps" "UDP GSO Gbit/s" "CPU s/GB" "tunnel CPU s/GB" "tunnel user s/GB" "RSS MiB")
# two X: a figure kept with 4 decimals (the verdicts use them: a 15% bound on 0.10 s/GB must
# not depend on rounding) shown with 2; anything else ("n/a", "-") as it is.
two()
{
	if [[ $1 =~ ^[0-9]+\.[0-9]+$ ]]; then
		LC_NUMERIC=C printf '%.2f' "$1"
	else
		printf '%s' "$1"
	fi
}

row()
{
	local id=$1
	printf '%s\t' "${LABEL[$id]}" "${T1[$id]}" "${T4[$id]}" "${PMED[$id]}" "${P99[$id]}" \
		"${PPS[$id]}" "${GSO[$id]}" "$(two "${CPUGB[$id]}")" "$(two "${PCPUGB[$id]}")" \
		"$(two "${PUSERGB[$id]}")"
	printf '%s\n' "${RSS[$id]}"
}
TABLE=$({
	(
		IFS=$'\t'
		echo "${HEAD[*]}"
	)
	for id in "${SETUPS[@]}"; do
		row "$id"
	done
})

# The targets of issue 20 and the LIMIT lines (bench/verdicts.py), from this run's figures.
for id in "${SETUPS[@]}"; do
	printf '%s\t' "$id" "${T1[$id]}" "${T4[$id]}" "${PMED[$id]}" "${P99[$id]}" "${CPUGB[$id]}" \
		"${PUSERGB[$id]}" "${RSS[$id]}" "${PPS[$id]}" "${PPS_SENT[$id]}" "${PPS_TCPU[$id]}" \
		"${PPS_USER[$id]}" "${BUSY1[$id]:-n/a}"
	printf '%s\t' "${PCPUGB[$id]}" "${TOP1[$id]:-n/a}"
	printf '%s\n' "${GSO[$id]}"
done >"$TMP/figures.tsv"
VERDICTS=$(python3 "$ROOT/bench/verdicts.py" "$NCPU" "$AEAD_SEAL" "$AEAD_OPEN" "$TMP/figures.tsv" \
	"$AEAD_MSG" "$AEAD_PAYLOAD" "$AEAD_STREAM") ||
	VERDICTS="N/A     bench/verdicts.py failed: $VERDICTS"
TARGETS="${VERDICTS%%$'\n\n'*}"$'\n'
LIMITS="${VERDICTS#*$'\n\n'}"$'\n'

CG=""
for m in plain sealed; do
	[[ $CALLGRIND != 0 ]] || break
	if [[ ${CG_IR[$m]} == n/a ]]; then
		CG+="callgrind tapkit $m: n/a (${CG_NOTE[$m]})"$'\n'
	else
		CG+=$(python3 -c 'import sys; ir, f = map(int, sys.argv[2:]); print("callgrind tapkit %s: %.0f Ir/frame (%d Ir over %d frames, rx + tx of the valgrind end)" % (sys.argv[1], ir / f, ir, f))' \
			"$m" "${CG_IR[$m]}" "${CG_FRAMES[$m]}")$'\n'
	fi
done

NOTES=""
for id in "${SETUPS[@]}"; do
	[[ -n ${NOTE[$id]} ]] && NOTES+="${LABEL[$id]}: ${NOTE[$id]%; }"$'\n'
done
[[ -n $AEAD_NOTE ]] && NOTES+="AEAD micro-benchmark: $AEAD_NOTE"$'\n'

CPU_MODEL=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
CPU_MODEL=${CPU_MODEL:-$(uname -m)}
KERNEL=$(uname -r)
DESCRIBE=$(git -C "$ROOT" describe --always --dirty --tags 2>/dev/null || echo unknown)
# The flags that decide the ciphers' speed (AES-NI for OpenVPN's GCM and tinc; AVX2/AVX-512 for
# ChaCha20 and tapkit's checksum).
CPU_FLAGS=$(sed -n 's/^flags[[:space:]]*: //p' /proc/cpuinfo | head -n 1 | tr ' ' '\n' |
	grep -xE 'aes|vaes|pclmulqdq|avx2|avx512f|avx512vl|sha_ni' | paste -sd ' ')
CPU_LINE="CPU model: $CPU_MODEL; $NCPU CPUs online; flags: ${CPU_FLAGS:-none of aes avx2 avx512f}. Ratios compare figures of this run only, never of another machine."
[[ -n $LABEL_NOTE ]] && CPU_LINE="**$LABEL_NOTE** $CPU_LINE"
VERSIONS="iperf3 $(iperf3 --version 2>/dev/null | awk 'NR==1{print $2}'), OpenVPN $(openvpn --version 2>/dev/null | awk 'NR==1{print $2}'), tinc $(tincd --version 2>/dev/null | awk 'NR==1{print $3}'), wireguard-go $(wireguard-go --version 2>/dev/null | awk 'NR==1{print $2}')"
MACHINE="CPU: $CPU_MODEL, $NCPU cores online; kernel $KERNEL; tapkit $DESCRIBE (${BUILD_TYPE:-?} build); $VERSIONS; background load before the run $BACKGROUND of $NCPU CPUs; TCP congestion control $TCP_CC; iperf3 -t $T, $PINGS pings at 2 ms, 64-byte UDP at -b $UDP_RATE and UDP GSO (40 x 1200 B per send, unpaced) for ${UDP_T} s each"

# The text table: columns aligned on the widest cell.
{
	echo
	echo "$CPU_LINE"
	echo "$MACHINE"
	echo
	python3 -c '
import sys
rows = [l.split("\t") for l in sys.stdin.read().splitlines()]
w = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
for r in rows:
    print("  ".join(c.ljust(w[i]) if i == 0 else c.rjust(w[i]) for i, c in enumerate(r)))
' <<<"$TABLE"
	echo
	printf '%s' "$TARGETS"
	printf '\n%s' "$LIMITS"
	[[ -n $CG ]] && printf '\n%s' "$CG"
	[[ -n $NOTES ]] && printf '\n%s' "$NOTES"
	echo
} | tee "$TMP/table.txt"

# The markdown file: results/<date>-<machine>.md and results/latest.md (no host names, no host
# addresses: the machine is described by CPU model, cores and kernel only).
slug=$(tr '[:upper:]' '[:lower:]' <<<"$CPU_MODEL" | sed -E 's/\((r|tm)\)//g; s/[^a-z0-9]+/-/g; s/^-//; s/-$//' | cut -c1-40)
kver=$(sed -E 's/^([0-9]+\.[0-9]+).*/\1/' <<<"$KERNEL")
NAME="$(date -u +%Y-%m-%dT%H%M)-${slug%-}-${NCPU}c-linux-$kver.md"
mkdir -p "$RESULTS"
{
	echo "# tapkit benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo
	echo "$CPU_LINE"
	echo
	echo "$MACHINE"
	echo
	echo "![the run as a chart](@CHART@)"
	echo
	python3 -c '
import sys
rows = [l.split("\t") for l in sys.stdin.read().splitlines()]
print("| " + " | ".join(rows[0]) + " |")
print("|" + "|".join("---" if i == 0 else "--:" for i in range(len(rows[0]))) + "|")
for r in rows[1:]:
    print("| " + " | ".join(r) + " |")
' <<<"$TABLE"
	echo
	echo '```'
	printf '%s' "$TARGETS"
	printf '\n%s' "$LIMITS"
	[[ -n $CG ]] && printf '\n%s' "$CG"
	echo '```'
	if [[ -n $NOTES ]]; then
		echo
		while IFS= read -r line; do
			echo "- $line"
		done <<<"${NOTES%$'\n'}"
	fi
} >"$TMP/result.md"
# The chart (bench/chart.py) next to the table: NAME.svg, and latest.svg with latest.md.
SVG=${NAME%.md}.svg
python3 "$ROOT/bench/chart.py" "tapkit benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')${LABEL_NOTE:+: $LABEL_NOTE}" \
	"$CPU_MODEL, $NCPU CPUs, kernel $KERNEL, tapkit $DESCRIBE; load before the run $BACKGROUND; compare within this run only" \
	<<<"$TABLE" >"$TMP/result.svg" || log "warning: bench/chart.py failed: no chart"
sed "s|@CHART@|$SVG|" "$TMP/result.md" >"$RESULTS/$NAME"
cp "$TMP/result.svg" "$RESULTS/$SVG"
log "written: $RESULTS/$NAME, $RESULTS/$SVG"
# A partial run (BENCH_ONLY) is no "latest" result.
if [[ -z $ONLY ]]; then
	sed "s|@CHART@|latest.svg|" "$TMP/result.md" >"$RESULTS/latest.md"
	cp "$TMP/result.svg" "$RESULTS/latest.svg"
	log "written: $RESULTS/latest.md, $RESULTS/latest.svg"
fi

# bench/README.md shows the latest table between its two markers.
if [[ -z $ONLY && $UPDATE_README != 0 && -f $ROOT/bench/README.md ]]; then
	python3 - "$ROOT/bench/README.md" "$TMP/result.md" <<'EOF' && log "updated: bench/README.md"
import sys
readme, result = sys.argv[1], open(sys.argv[2]).read().replace("@CHART@", "results/latest.svg")
text = open(readme).read()
begin, end = "<!-- bench:latest:begin -->", "<!-- bench:latest:end -->"
i, j = text.find(begin), text.find(end)
if i < 0 or j < i:
    sys.exit(1)
body = result.split("\n", 2)[2] if result.startswith("# ") else result
text = text[:i + len(begin)] + "\n" + body.rstrip("\n") + "\n" + text[j:]
open(readme, "w").write(text)
EOF
fi
