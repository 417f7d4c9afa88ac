# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# Stopping processes and deleting network namespaces, shared by the netns tests
# (tests/netns/lib.sh) and the benchmarks (bench/run.sh, bench/hub.sh); sourced, not run. Safe
# under `set -e`.

# proc_stop SECONDS PID...: SIGTERM to every PID, then, one after the other, waits up to SECONDS
# for each to end, SIGKILL to one still running, and reaps it if it is this shell's child. Bounded:
# at most SECONDS per PID.
proc_stop()
{
	local secs=$1 pid i
	shift
	for pid in "$@"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "$@"; do
		for ((i = 0; i < secs * 10; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
}

# proc_netns_del NS...: SIGKILL to every process left in each network namespace (all started by
# the caller), then deletes the namespace (a TAP or veth in it goes with it).
proc_netns_del()
{
	local ns pid
	for ns in "$@"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null || true
		done
		ip netns del "$ns" 2>/dev/null || true
	done
}
