# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# What bench/hub.sh and bench/syscalls.sh share: log lines with the script's name, the
# background processes they start (PIDS), and a cleanup on exit that stops those and deletes
# the namespaces (BENCH_NS) and the temporary directory (TMP; kept when BENCH_KEEP is set),
# with scripts/lib/proc.sh (ROOT: the source tree).
# The script sets BENCH_NAME, BENCH_NS and TMP, then calls bench_traps; bench_pair makes the
# namespaces.

# shellcheck source=scripts/lib/proc.sh
source "$ROOT/scripts/lib/proc.sh"

PIDS=()

log()
{
	printf '%s\n' "$BENCH_NAME: $*" >&2
}

die()
{
	log "$*"
	exit 2
}

# stop_all: TERM to every process in PIDS, KILL after 10 s
stop_all()
{
	proc_stop 10 "${PIDS[@]}"
	PIDS=()
}

# shellcheck disable=SC2317 # reached through the trap
bench_cleanup()
{
	local rc=$?
	trap - EXIT
	trap '' INT TERM
	stop_all
	# shellcheck disable=SC2086 # a list of names
	proc_netns_del $BENCH_NS
	[[ -n ${BENCH_KEEP:-} ]] || rm -rf "$TMP"
	exit "$rc"
}

bench_traps()
{
	trap bench_cleanup EXIT
	trap 'exit 130' INT TERM
}

# wait_line FILE REGEX SECONDS: until a line of FILE matches REGEX; false after SECONDS
wait_line()
{
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		grep -Eq "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# bench_pair NS1 CIDR1 NS2 CIDR2: two namespaces (loopback up, no IPv6, so only the benchmark's
# own frames move) joined by a veth pair named ul0 on both sides, with these addresses
bench_pair()
{
	local ns
	ip netns add "$1" || die "cannot create network namespaces"
	ip netns add "$3" || die "cannot create network namespaces"
	for ns in "$1" "$3"; do
		ip -n "$ns" link set lo up
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	done
	ip link add "tkbp$$a" type veth peer name "tkbp$$b" || die "cannot create a veth pair"
	ip link set "tkbp$$a" netns "$1" name ul0
	ip link set "tkbp$$b" netns "$3" name ul0
	ip -n "$1" addr add "$2" dev ul0
	ip -n "$3" addr add "$4" dev ul0
	ip -n "$1" link set ul0 up
	ip -n "$3" link set ul0 up
}
