#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Soak: a hub and three peers carry traffic for SOAK_SECONDS (default 600) while peers leave and
# join and the hub's adapter is deleted twice under it. Afterwards the hub's resident memory and
# descriptor count are back at their baseline (and RSS never passed 32 MiB), no tunnel crashed,
# and, in a final phase without restarts, every frame counter adds up from one hop to the next.
# tests/soak/README.md explains the schedule, the tolerances and the accounting.
#
#            +---- $P1 ----+  +---- $P2 ----+  +---- $P3 ----+
#            | tkp .11     |  | tkp .12     |  | tkp .13     |   overlay 10.250.7.0/24
#            +-------------+  +-------------+  +-------------+   (all peers know only the hub)
#                  | ul0 10.99.7.11  | .12            | .13
#            +-------------------- $BR: br0 ---------------------+   underlay 10.99.7.0/24
#                                    | ul0 10.99.7.1
#                         +---- $HUB (Forward = true) ----+
#                         | tkhub 10.250.7.1              |
#                         +-------------------------------+
#
# Environment: SOAK_SECONDS (600), SOAK_MODE (sealed | plain), SOAK_CHUNK (iperf3 seconds, 20),
# SOAK_SAMPLE (10 s between RSS samples), SOAK_RSS_TOL_KIB (1024), SOAK_RSS_MAX_KIB (32768),
# SOAK_TCP_RATE (iperf3 -b, default 0: as fast as it goes), SOAK_PINGS (per pinger in the
# counted phase, 1000), SOAK_RESULTS (directory for soak.csv, summary.txt and the logs; default
# $TK_BUILD_DIR/soak-results), TAPKIT or TK_BUILD_DIR (the CLI, default build/tapkit).
# Exit 0 pass, 1 fail, 77 cannot run here (not root, no iperf3, no netns).

# shellcheck source=tests/netns/lib.sh
source "$(dirname "$0")/../netns/lib.sh"
# shellcheck source=tests/netns/tunnel_lib.sh
source "$(dirname "$0")/../netns/tunnel_lib.sh"

SOAK_SECONDS=${SOAK_SECONDS:-600}
SOAK_MODE=${SOAK_MODE:-sealed}
SOAK_CHUNK=${SOAK_CHUNK:-20}
SOAK_SAMPLE=${SOAK_SAMPLE:-10}
SOAK_RSS_TOL_KIB=${SOAK_RSS_TOL_KIB:-1024}
SOAK_RSS_MAX_KIB=${SOAK_RSS_MAX_KIB:-32768}
SOAK_TCP_RATE=${SOAK_TCP_RATE:-0}
SOAK_PINGS=${SOAK_PINGS:-1000}
SOAK_RESULTS=${SOAK_RESULTS:-$TK_BUILD_DIR/soak-results}
ACCOUNT="$TK_SOURCE_DIR/tests/soak/soak_account.py"

for v in SOAK_SECONDS SOAK_CHUNK SOAK_SAMPLE SOAK_RSS_TOL_KIB SOAK_RSS_MAX_KIB SOAK_PINGS; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || {
		echo "soak: $v must be a positive integer, got '${!v}'" >&2
		exit 2
	}
done
[[ $SOAK_MODE == sealed || $SOAK_MODE == plain ]] || {
	echo "soak: SOAK_MODE must be sealed or plain, got '$SOAK_MODE'" >&2
	exit 2
}

tk_require
command -v iperf3 >/dev/null || tk_skip "needs iperf3 (apt-get install -y iperf3)"
mkdir -p "$SOAK_RESULTS"
rm -f "$SOAK_RESULTS"/*.log "$SOAK_RESULTS"/*.csv "$SOAK_RESULTS"/*.json "$SOAK_RESULTS"/*.txt
CSV=$SOAK_RESULTS/soak.csv
CHUNKS=$SOAK_RESULTS/chunks.csv
PHASE_FILE=$TK_TMP/phase

# Logs of every tunnel process go to the results directory before lib.sh removes TK_TMP, on
# success and failure alike.
soak_cleanup()
{
	local rc=$?
	set +e
	local f
	for f in "$TK_TMP"/[0-9]*.err; do
		[[ -e $f ]] && cp -L "$f" "$SOAK_RESULTS/tunnel-$(basename "$f" .err).log" 2>/dev/null
	done
	cp "$TK_TMP"/*.conf "$SOAK_RESULTS"/ 2>/dev/null
	(exit "$rc")
	tk_cleanup
}
trap soak_cleanup EXIT

phase()
{
	printf '%s' "$1" >"$PHASE_FILE"
	# progress against the planned length (TK_PHASE: scripts/check.sh)
	printf '\n\e[1;34m== %s +%ds of about %ds: %s\e[0m\n' "${TK_PHASE:-soak}" "$(elapsed)" "$SOAK_SECONDS" "$1" >&2
}

T0=$(date +%s)
elapsed()
{
	echo $(($(date +%s) - T0))
}

# ---- the network ------------------------------------------------------------------------------

tk_ns_new HUB hub
tk_ns_new BR br
tk_ns_new P1 p1
tk_ns_new P2 p2
tk_ns_new P3 p3
PEERS=(p1 p2 p3)
declare -A NS=([hub]=$HUB [p1]=$P1 [p2]=$P2 [p3]=$P3)
declare -A UL=([hub]=10.99.7.1 [p1]=10.99.7.11 [p2]=10.99.7.12 [p3]=10.99.7.13)
declare -A OV=([hub]=10.250.7.1 [p1]=10.250.7.11 [p2]=10.250.7.12 [p3]=10.250.7.13)
declare -A DEV=([hub]=tkhub [p1]=tkp [p2]=tkp [p3]=tkp)
declare -A SOCK=([hub]=$TK_TMP/hub.sock [p1]=$TK_TMP/p1.sock [p2]=$TK_TMP/p2.sock [p3]=$TK_TMP/p3.sock)
declare -A PID=()
declare -A UP=()

for n in hub "${PEERS[@]}"; do
	tun_quiet "${NS[$n]}"
done
tun_quiet "$BR"
run "$BR" ip link add br0 type bridge
run "$BR" ip link set br0 up
for n in hub "${PEERS[@]}"; do
	ip link add "tks$$a" type veth peer name "tks$$b"
	ip link set "tks$$a" netns "${NS[$n]}" name ul0
	ip link set "tks$$b" netns "$BR" name "v$n"
	run "$BR" ip link set "v$n" master br0 up
	run "${NS[$n]}" ip addr add "${UL[$n]}/24" dev ul0
	run "${NS[$n]}" ip link set ul0 up
done

# ---- the tunnels ------------------------------------------------------------------------------

if [[ $SOAK_MODE == sealed ]]; then
	for n in hub "${PEERS[@]}"; do
		(umask 077 && "$TAPKIT" genkey >"$TK_TMP/$n.key")
		"$TAPKIT" pubkey <"$TK_TMP/$n.key" >"$TK_TMP/$n.pub"
	done
fi

# conf_interface NAME: the [Interface] section of NAME's file.
conf_interface()
{
	local n=$1
	printf '[Interface]\nName = %s\nMode = %s\nVNI = 77\nListenAddress = %s:4789\n' \
		"${DEV[$n]}" "$SOAK_MODE" "${UL[$n]}"
	[[ $SOAK_MODE == sealed ]] && printf 'PrivateKeyFile = %s.key\n' "$n"
	printf 'Address = %s/24\nControlSocket = %s\n' "${OV[$n]}" "${SOCK[$n]}"
}

conf_peer()
{
	printf '\n[Peer]\nEndpoint = %s:4789\n' "${UL[$1]}"
	[[ $SOAK_MODE == sealed ]] && printf 'PublicKey = %s\n' "$(cat "$TK_TMP/$1.pub")"
	return 0
}

{
	conf_interface hub
	printf 'Forward = true\n'
	for n in "${PEERS[@]}"; do
		conf_peer "$n"
	done
} >"$TK_TMP/hub.conf"
for n in "${PEERS[@]}"; do
	{
		conf_interface "$n"
		conf_peer hub
	} >"$TK_TMP/$n.conf"
done

# start NAME: runs NAME's tunnel, waits for its "running" line.
start()
{
	tun_start "${NS[$1]}" --config "$TK_TMP/$1.conf"
	PID[$1]=$TK_PID
	UP[$1]=1
}

# stop NAME: SIGTERM; the tunnel must exit 0 and take its adapter with it.
stop()
{
	local n=$1
	tk_stop "${PID[$n]}" 15
	[[ $TK_RC -eq 0 ]] || tk_fail "tunnel $n (pid ${PID[$n]}) exited $TK_RC on SIGTERM, expected 0"
	link_absent "${NS[$n]}" "${DEV[$n]}" || tk_fail "tunnel $n stopped, but its adapter ${DEV[$n]} is still there"
	UP[$n]=0
}

# alive: every tunnel that should run does; a crash fails the soak with the tunnel's last words.
alive()
{
	local n rc
	for n in hub "${PEERS[@]}"; do
		[[ ${UP[$n]} == 1 ]] || continue
		if ! kill -0 "${PID[$n]}" 2>/dev/null; then
			rc=0
			wait "${PID[$n]}" 2>/dev/null || rc=$?
			TK_LAST_CMD="tunnel $n (pid ${PID[$n]})" TK_RC=$rc TK_OUT="" TK_ERR=$(tk_bg_err "${PID[$n]}" | tail -n 30)
			tk_fail "tunnel $n died during the soak (exit $rc; expected it to keep running)"
		fi
	done
}

hub_status()
{
	tun_json "$HUB" "${SOCK[hub]}" "$1"
}

rss_kib()
{
	awk '/^VmRSS:/ {print $2}' "/proc/$1/status"
}

fd_count()
{
	local fds=(/proc/"$1"/fd/*)
	echo "${#fds[@]}"
}

# fd_kinds PID: what the descriptors are, counted by kind ("2 socket; 1 /dev/net/tun; ...").
fd_kinds()
{
	local f
	for f in /proc/"$1"/fd/*; do
		readlink "$f"
	done | sed 's/:\[[0-9]*\]$//' | sort | uniq -c | awk '{ printf "%s%d %s", (NR > 1 ? "; " : ""), $1, $2 }'
}

# The sampler: the hub's VmRSS and descriptors every SOAK_SAMPLE s, bounded by the soak's length.
sampler()
{
	trap - EXIT INT TERM
	local i now rss fds max=$(((SOAK_SECONDS + 900) / SOAK_SAMPLE))
	for ((i = 0; i < max; i++)); do
		now=$(elapsed)
		rss=$(rss_kib "$HUB_PID" 2>/dev/null) || break
		fds=$(fd_count "$HUB_PID")
		printf '%d,%d,%d,%s\n' "$now" "$rss" "$fds" "$(cat "$PHASE_FILE")" >>"$CSV"
		sleep "$SOAK_SAMPLE"
	done
}

phase "start-up ($SOAK_MODE, $SOAK_SECONDS s)"
start hub
HUB_PID=${PID[hub]}
for n in "${PEERS[@]}"; do
	start "$n"
done
[[ $(hub_status 'd["tunnel"]["pid"]') == "$HUB_PID" ]] || tk_fail "the hub's status names pid $(hub_status 'd["tunnel"]["pid"]'), expected $HUB_PID"
for n in "${PEERS[@]}"; do
	tun_ping "${NS[$n]}" "${OV[hub]}"
done

# ---- traffic ------------------------------------------------------------------------------------

BYTES=0
CHUNK_N=0
RESTARTS=0
REOPENS=0
REOPEN_WAIT_MAX=0
PING_TX=0
PING_RX=0
printf 'chunk,start_s,client,server,rc,bytes,mbit_s\n' >"$CHUNKS"
printf 't_s,hub_rss_kib,hub_fds,phase\n' >"$CSV"
# The hub's adapter is deleted at one third and two thirds of the run.
REOPEN_AT=($((SOAK_SECONDS / 3)) $((2 * SOAK_SECONDS / 3)))

# iperf_server NAME SECONDS: a one-test iperf3 server on NAME's overlay address, bounded in time.
iperf_server()
{
	local n=$1 secs=$2 i
	ip netns exec "${NS[$n]}" timeout $((secs + 40)) iperf3 -s -1 -B "${OV[$n]}" \
		>"$TK_TMP/iperf-s.log" 2>&1 &
	TK_BG_PIDS+=("$!")
	for ((i = 0; i < 50; i++)); do
		ip netns exec "${NS[$n]}" ss -ltn 2>/dev/null | grep -q "${OV[$n]}:5201 " && return 0
		sleep 0.1
	done
	tk_fail "the iperf3 server in $n did not listen on ${OV[$n]}:5201 within 5 s"
}

# reopen_hub: deletes the hub's adapter; the hub must re-create it (its "reopens" goes up by one)
# with its address, while traffic through it carries on.
reopen_hub()
{
	local want=$((REOPENS + 1)) i
	phase "hub adapter deleted ($want of 2)"
	run "$HUB" ip link del tkhub
	for ((i = 0; i < 100; i++)); do
		[[ $(hub_status 'd["tunnel"]["adapter_reopens"]') == "$want" ]] && break
		sleep 0.2
	done
	[[ $(hub_status 'd["tunnel"]["adapter_reopens"]') == "$want" ]] ||
		tk_fail "hub's adapter_reopens is $(hub_status 'd["tunnel"]["adapter_reopens"]') 20 s after deleting tkhub, expected $want"
	ip -n "$HUB" -o addr show dev tkhub | grep -q "${OV[hub]}/24" ||
		tk_fail "tkhub re-created without ${OV[hub]}/24: $(ip -n "$HUB" -o addr show dev tkhub)"
	REOPENS=$want
	REOPEN_T=$SECONDS
	REOPEN_PENDING=1
}

# reopen_reached: after a reopen, every running peer reaches the hub's new adapter again. The
# re-created adapter keeps its MAC (the tunnel's stable MAC), so the peers' ARP entries stay
# right and this takes seconds; with a random MAC it took 25 to 65 s. Fails after 20 s.
REOPEN_PENDING=0
reopen_reached()
{
	local n
	for n in "${PEERS[@]}"; do
		[[ ${UP[$n]} == 1 ]] || continue
		ip netns exec "${NS[$n]}" ping -c 1 -W 1 "${OV[hub]}" >/dev/null 2>&1 || return 1
	done
	return 0
}

reopen_settle()
{
	[[ $REOPEN_PENDING == 1 ]] || return 0
	if reopen_reached; then
		local took=$((SECONDS - REOPEN_T))
		((took > REOPEN_WAIT_MAX)) && REOPEN_WAIT_MAX=$took
		tk_log "soak: every running peer reaches the hub's re-created adapter after ${took} s"
		REOPEN_PENDING=0
		return 0
	fi
	((SECONDS - REOPEN_T < 20)) || tk_fail "20 s after the hub's adapter was re-created, a running peer still gets no answer from ${OV[hub]}"
	return 1
}

# chunk CLIENT SERVER SECONDS: an iperf3 TCP transfer through the hub, with pings from every
# running peer to the hub; tunnels are checked for crashes every second, and the hub's adapter
# is deleted when its time has come. Every transfer must succeed: neither end is churned during
# it.
chunk()
{
	local c=$1 s=$2 secs=$3 out=$TK_TMP/iperf-c.json rc=0 p pids=() n i
	CHUNK_N=$((CHUNK_N + 1))
	iperf_server "$s" "$secs"
	local rate=()
	[[ $SOAK_TCP_RATE != 0 ]] && rate=(-b "$SOAK_TCP_RATE")
	tk_pretty "${NS[$c]}" iperf3 -c "${OV[$s]}" -t "$secs" "${rate[@]}" '&'
	ip netns exec "${NS[$c]}" timeout $((secs + 30)) iperf3 -c "${OV[$s]}" -t "$secs" "${rate[@]}" -J >"$out" 2>&1 &
	local ipid=$!
	TK_BG_PIDS+=("$ipid")
	for n in "${PEERS[@]}"; do
		[[ ${UP[$n]} == 1 ]] || continue
		ip netns exec "${NS[$n]}" ping -c $((secs * 2)) -i 0.5 -W 1 -w $((secs + 5)) "${OV[hub]}" \
			>"$TK_TMP/ping-$n.log" 2>&1 &
		pids+=("$!")
		TK_BG_PIDS+=("$!")
	done
	local t_start
	t_start=$(elapsed)
	for ((i = 0; i < secs + 40; i++)); do
		kill -0 "$ipid" 2>/dev/null || break
		alive
		if ((REOPENS < 2 && REOPEN_PENDING == 0)) && (($(elapsed) >= REOPEN_AT[REOPENS])); then
			reopen_hub
		fi
		if [[ $REOPEN_PENDING == 1 ]]; then
			reopen_settle || true
		fi
		sleep 1
	done
	wait "$ipid" || rc=$?
	for p in "${pids[@]}"; do
		wait "$p" || true
	done
	alive
	local bytes=0 mbit=0
	if [[ $rc -eq 0 ]]; then
		read -r bytes mbit < <(python3 -c 'import json,sys; d=json.load(sys.stdin)["end"]["sum_received"]; print(d["bytes"], "%.0f" % (d["bits_per_second"]/1e6))' <"$out") || rc=99
	fi
	printf '%d,%d,%s,%s,%d,%d,%d\n' "$CHUNK_N" "$t_start" "$c" "$s" "$rc" "$bytes" "$mbit" >>"$CHUNKS"
	[[ $rc -eq 0 ]] || {
		TK_LAST_CMD="iperf3 -c ${OV[$s]} -t $secs (in $c)" TK_RC=$rc TK_OUT=$(tail -c 2000 "$out") TK_ERR=""
		tk_fail "transfer $CHUNK_N from $c to $s through the hub failed (exit $rc), expected it to complete"
	}
	BYTES=$((BYTES + bytes))
	tk_log "soak: transfer $CHUNK_N $c -> $s: $((bytes / 1048576)) MiB, $mbit Mbit/s"
	for n in "${PEERS[@]}"; do
		[[ -f $TK_TMP/ping-$n.log ]] || continue
		local tx rx
		read -r tx rx < <(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$TK_TMP/ping-$n.log")
		PING_TX=$((PING_TX + ${tx:-0}))
		PING_RX=$((PING_RX + ${rx:-0}))
		rm -f "$TK_TMP/ping-$n.log"
	done
}

phase "warm-up"
chunk p1 p2 5
# Baseline: after start-up and a first transfer at full speed, every buffer has been touched.
BASE_RSS=$(rss_kib "$HUB_PID")
BASE_FDS=$(fd_count "$HUB_PID")
BASE_FD_KINDS=$(fd_kinds "$HUB_PID")
tk_log "soak: baseline: hub RSS $BASE_RSS KiB, $BASE_FDS descriptors ($BASE_FD_KINDS)"
sampler &
TK_BG_PIDS+=("$!")

# Each round: one peer leaves (SIGTERM), the other two move data through the hub; it joins
# again (and must reach the hub within 20 s), then it moves data with one of them.
round=0
while ((round == 0 || $(elapsed) + 2 * SOAK_CHUNK + 15 <= SOAK_SECONDS)); do
	x=${PEERS[$((round % 3))]}
	a=${PEERS[$(((round + 1) % 3))]}
	b=${PEERS[$(((round + 2) % 3))]}
	# A reopen still being checked must see the peer about to leave answer first.
	for ((i = 0; i < 125 && REOPEN_PENDING == 1; i++)); do
		reopen_settle || sleep 1
	done
	phase "round $((round + 1)): $x leaves, $a -> $b"
	stop "$x"
	chunk "$a" "$b" "$SOAK_CHUNK"
	phase "round $((round + 1)): $x joins, $x -> $a"
	start "$x"
	RESTARTS=$((RESTARTS + 1))
	tun_ping_until "${NS[$x]}" "${OV[hub]}" 20
	chunk "$x" "$a" "$SOAK_CHUNK"
	round=$((round + 1))
done
# Traffic until SOAK_SECONDS: the rest of the time in one transfer.
left_s=$((SOAK_SECONDS - $(elapsed)))
if ((left_s >= 5)); then
	phase "last transfer, $left_s s"
	chunk p1 p2 "$left_s"
fi
# A short run may end before both deletions were due: do the rest now, with traffic.
while ((REOPENS < 2)); do
	REOPEN_AT[REOPENS]=0
	chunk p1 p2 5
done
for ((i = 0; i < 125 && REOPEN_PENDING == 1; i++)); do
	reopen_settle || sleep 1
done
TRAFFIC_END=$(elapsed)

# ---- the counted phases ------------------------------------------------------------------------

NODES=()
for n in hub "${PEERS[@]}"; do
	NODES+=(--node "$n:${NS[$n]}:${SOCK[$n]}")
done
declare -A TARGET=([p1]=p2 [p2]=p3 [p3]=hub)
declare -A SIZE=([p1]=1200 [p2]=56 [p3]=600)
LOST=0
COUNTERS=ok
RESOLVE_MAX=0

# counted NAME TCP_SECONDS: SOAK_PINGS pings from each peer (p1 -> p2 and p2 -> p3 through the
# hub, p3 -> hub), with a TCP transfer p2 -> p1 at full speed for TCP_SECONDS (0: none); counters
# read before and after (settled), then soak_account.py checks that they add up. With TCP, the
# adapters' packet counters count TSO super-frames, not frames: only the hops are checked.
counted()
{
	local name=$1 tcp=$2 n m p tx rx lost=0 pids=() opts=() ipid=""
	phase "counted phase $name: $SOAK_PINGS pings from each peer$( ((tcp > 0)) && echo ", TCP p2 -> p1 for $tcp s"), no restarts"
	# Every overlay neighbour resolved first: a resolution racing the snapshots need not add up.
	# A peer restarted in the last round has a new adapter, so a new MAC: its neighbours' entries
	# for it may be stale until the kernel re-probes them (a few seconds); bounded at 60 s.
	local t0=$SECONDS
	for n in "${PEERS[@]}"; do
		for m in hub "${PEERS[@]}"; do
			[[ $n == "$m" ]] && continue
			until ip netns exec "${NS[$n]}" ping -c 1 -W 1 "${OV[$m]}" >/dev/null 2>&1; do
				((SECONDS - t0 < 60)) || tk_fail "before counted phase $name, $n gets no answer from $m (${OV[$m]}) within 60 s"
			done
		done
	done
	((SECONDS - t0 > RESOLVE_MAX)) && RESOLVE_MAX=$((SECONDS - t0))
	python3 "$ACCOUNT" snapshot --tapkit "$TAPKIT" "${NODES[@]}" --underlay "$BR" --out "$SOAK_RESULTS/$name-before.json" ||
		tk_fail "could not read the counters before counted phase $name"
	if ((tcp > 0)); then
		iperf_server p1 "$tcp"
		ip netns exec "$P2" timeout $((tcp + 30)) iperf3 -c "${OV[p1]}" -t "$tcp" -J >"$TK_TMP/iperf-counted.json" 2>&1 &
		ipid=$!
		TK_BG_PIDS+=("$ipid")
	fi
	for n in "${PEERS[@]}"; do
		tk_pretty "${NS[$n]}" ping -q -c "$SOAK_PINGS" -i 0.005 -s "${SIZE[$n]}" "${OV[${TARGET[$n]}]}" '&'
		ip netns exec "${NS[$n]}" ping -q -c "$SOAK_PINGS" -i 0.005 -W 2 -w $((SOAK_PINGS / 100 + 30)) \
			-s "${SIZE[$n]}" "${OV[${TARGET[$n]}]}" >"$TK_TMP/cping-$n.log" 2>&1 &
		pids+=("$!")
		TK_BG_PIDS+=("$!")
	done
	for p in "${pids[@]}"; do
		wait "$p" || true
	done
	if [[ -n $ipid ]]; then
		wait "$ipid" || tk_fail "the TCP transfer of counted phase $name failed: $(tail -c 600 "$TK_TMP/iperf-counted.json")"
		BYTES=$((BYTES + $(python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bytes"])' <"$TK_TMP/iperf-counted.json")))
	fi
	alive
	for n in "${PEERS[@]}"; do
		read -r tx rx < <(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' "$TK_TMP/cping-$n.log")
		[[ ${tx:-0} -eq $SOAK_PINGS ]] || tk_fail "ping from $n to ${TARGET[$n]} sent ${tx:-?} echoes, expected $SOAK_PINGS: $(cat "$TK_TMP/cping-$n.log")"
		tk_log "soak: $n -> ${TARGET[$n]}: $tx echoes, $rx answered"
		lost=$((lost + tx - rx))
	done
	LOST=$((LOST + lost))
	python3 "$ACCOUNT" snapshot --tapkit "$TAPKIT" "${NODES[@]}" --underlay "$BR" --out "$SOAK_RESULTS/$name-after.json" ||
		tk_fail "could not read the counters after counted phase $name"
	((tcp > 0)) && opts=(--no-adapters)
	printf '== counted phase %s\n' "$name" >>"$SOAK_RESULTS/accounting.txt"
	python3 "$ACCOUNT" check --before "$SOAK_RESULTS/$name-before.json" --after "$SOAK_RESULTS/$name-after.json" \
		--hub hub --peers p1,p2,p3 --ping-lost "$lost" "${opts[@]}" | tee -a "$SOAK_RESULTS/accounting.txt" >&2 || COUNTERS=FAIL
}

counted pings 0
counted tcp 5

# ---- memory and descriptors ----------------------------------------------------------------------

phase "end: traffic stopped, every peer up"
alive
END_RSS=$(rss_kib "$HUB_PID")
END_FDS=$(fd_count "$HUB_PID")
printf '%d,%d,%d,%s\n' "$(elapsed)" "$END_RSS" "$END_FDS" end >>"$CSV"
read -r RSS_MIN RSS_MAX RSS_MAX_AT < <(awk -F, 'NR > 1 { if (min == "" || $2 < min) min = $2; if ($2 > max) { max = $2; at = $1 } } END { print min, max, at }' "$CSV")
FINAL_REOPENS=$(hub_status 'd["tunnel"]["adapter_reopens"]')
MBYTES=$((BYTES / 1048576))

SUMMARY=$(
	cat <<EOF
soak summary ($SOAK_MODE mode, $(basename "$(dirname "$TAPKIT")")/tapkit)
  duration:       $(elapsed) s (traffic until +$TRAFFIC_END s, SOAK_SECONDS=$SOAK_SECONDS)
  moved:          $MBYTES MiB over $CHUNK_N TCP transfers through the hub; pings $PING_RX of $PING_TX answered during churn
  peer restarts:  $RESTARTS (SIGTERM, start again)
  hub reopens:    $FINAL_REOPENS (adapter deleted twice); every peer reached it again after at most $REOPEN_WAIT_MAX s
  hub RSS:        min $RSS_MIN KiB, max $RSS_MAX KiB (at +$RSS_MAX_AT s), last $END_RSS KiB; baseline $BASE_RSS KiB (tolerance +$SOAK_RSS_TOL_KIB, ceiling $SOAK_RSS_MAX_KIB)
  hub fds:        baseline $BASE_FDS, last $END_FDS
  neighbours:     every peer answered every other after at most $RESOLVE_MAX s before the counted phases
  counters:       $COUNTERS ($LOST of $((6 * SOAK_PINGS)) echoes lost in the two counted phases; $SOAK_RESULTS/accounting.txt)
  samples:        $CSV
EOF
)
printf '%s\n' "$SUMMARY" | tee "$SOAK_RESULTS/summary.txt"

FAILS=()
[[ $FINAL_REOPENS == 2 ]] || FAILS+=("hub adapter_reopens is $FINAL_REOPENS, expected 2")
((END_RSS <= BASE_RSS + SOAK_RSS_TOL_KIB)) || FAILS+=("hub RSS grew: $END_RSS KiB at the end, baseline $BASE_RSS KiB + $SOAK_RSS_TOL_KIB KiB tolerance")
((RSS_MAX <= SOAK_RSS_MAX_KIB)) || FAILS+=("hub RSS reached $RSS_MAX KiB at +$RSS_MAX_AT s, ceiling $SOAK_RSS_MAX_KIB KiB")
((END_FDS == BASE_FDS)) || FAILS+=("hub descriptors: $END_FDS at the end ($(fd_kinds "$HUB_PID")), expected the baseline $BASE_FDS ($BASE_FD_KINDS)")
[[ $COUNTERS == ok ]] || FAILS+=("frame counters do not add up: $(grep '^FAIL' "$SOAK_RESULTS/accounting.txt" | tr '\n' ' ')")

# Last: every tunnel stops cleanly (exit 0, adapter gone).
phase "stop"
for n in "${PEERS[@]}" hub; do
	stop "$n"
done
if [[ ${#FAILS[@]} -gt 0 ]]; then
	tk_fail "$(printf '%s; ' "${FAILS[@]}")"
fi
TK_CASES=1
