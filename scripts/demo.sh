#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The tapkit demo: two network namespaces ("hosts"), a TAP in each made and configured by tapkit,
# and a small forwarder built on the library (examples/tk-forward.c) that carries Ethernet frames
# from one TAP to the other. A ping from one host to the other then crosses the forwarder, which
# prints every frame. Everything is removed at the end, also on failure or Ctrl-C.
#
#   +------- tkdemo-a -------+                          +------- tkdemo-b -------+
#   |  tkdemo0 10.250.0.1/30 |<==> tk-forward (frames) <==>| tkdemo0 10.250.0.2/30 |
#   +------------------------+                          +------------------------+
#
# Needs root (namespaces, TAP devices) and a build (make). Run it with `make demo`.
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${TK_BUILD_DIR:-$ROOT/build}
TAPKIT=${TAPKIT:-$BUILD/tapkit}
FORWARD=${TK_FORWARD:-$BUILD/tk-forward}
NS_A="tkdemo-a-$$"
NS_B="tkdemo-b-$$"
DEV=tkdemo0
LOG=$(mktemp /tmp/tkdemo-forward.XXXXXX)
FWD_PID=""

# shellcheck source=scripts/demo-lib.sh
. "$ROOT/scripts/demo-lib.sh"

note()
{
	printf '%s    %s%s\n' "$DIM" "$*" "$OFF"
}

# Prints the command as a user would type it, then runs it inside a namespace.
in_ns()
{
	local ns=$1
	shift
	local shown=("$@")
	[[ ${shown[0]} == "$TAPKIT" ]] && shown[0]=tapkit
	printf '%s[%s]#%s %s\n' "$BOLD" "$ns" "$OFF" "${shown[*]}"
	ip netns exec "$ns" "$@"
}

cleanup()
{
	local rc=$?
	set +e
	trap - EXIT INT TERM
	if [[ -n $FWD_PID ]] && kill -0 "$FWD_PID" 2>/dev/null; then
		kill -TERM "$FWD_PID"
		for _ in $(seq 50); do
			kill -0 "$FWD_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$FWD_PID" 2>/dev/null
	fi
	# Deleting a namespace unregisters the TAP inside it.
	ip netns del "$NS_A" 2>/dev/null
	ip netns del "$NS_B" 2>/dev/null
	rm -f "$LOG"
	if [[ $rc -eq 0 ]]; then
		section "Cleaned up: namespaces $NS_A and $NS_B and their TAPs are gone."
	else
		printf '\ndemo failed (exit %d); namespaces removed.\n' "$rc" >&2
	fi
	exit "$rc"
}

if [[ $EUID -ne 0 ]]; then
	echo "demo: needs root to make network namespaces and TAP devices; run: sudo make demo" >&2
	exit 1
fi
for f in "$TAPKIT" "$FORWARD"; do
	[[ -x $f ]] || {
		echo "demo: $f is missing; build first: make" >&2
		exit 1
	}
done

trap cleanup EXIT
trap 'exit 130' INT TERM

section "Two network namespaces stand in for two hosts: $NS_A and $NS_B"
# IPv4 only, so the frames below are just the ping and its ARP.
demo_hosts_add
note "nothing in them yet except lo; nothing here touches this machine's own interfaces"

section "tapkit creates a TAP adapter in each and configures it (MAC, address, up)"
in_ns "$NS_A" "$TAPKIT" create "$DEV"
in_ns "$NS_A" "$TAPKIT" set "$DEV" mac 02:00:00:00:0a:01
in_ns "$NS_A" "$TAPKIT" addr add "$DEV" 10.250.0.1/30
in_ns "$NS_A" "$TAPKIT" up "$DEV"
in_ns "$NS_B" "$TAPKIT" create "$DEV"
in_ns "$NS_B" "$TAPKIT" set "$DEV" mac 02:00:00:00:0b:01
in_ns "$NS_B" "$TAPKIT" addr add "$DEV" 10.250.0.2/30
in_ns "$NS_B" "$TAPKIT" up "$DEV"

section "tapkit list: the adapters as tapkit sees them (no process holds them yet)"
in_ns "$NS_A" "$TAPKIT" list
in_ns "$NS_B" "$TAPKIT" list

section "Start the forwarder: it opens both TAPs through the library and copies frames"
printf '%s#%s tk-forward %s:%s %s:%s --timeout 30 &\n' "$BOLD" "$OFF" "$NS_A" "$DEV" "$NS_B" "$DEV"
"$FORWARD" "$NS_A:$DEV" "$NS_B:$DEV" --timeout 30 >"$LOG" 2>&1 &
FWD_PID=$!
ready=0
for _ in $(seq 100); do
	if grep -q '^forwarding ' "$LOG"; then
		ready=1
		break
	fi
	kill -0 "$FWD_PID" 2>/dev/null || break
	sleep 0.05
done
if [[ $ready -ne 1 ]]; then
	echo "demo: the forwarder did not start:" >&2
	cat "$LOG" >&2
	exit 1
fi
note "$(head -n 1 "$LOG")"

section "Ping from $NS_A (10.250.0.1) to $NS_B (10.250.0.2): every frame crosses the forwarder"
if ! in_ns "$NS_A" ping -c 3 -W 1 10.250.0.2; then
	echo "demo: the ping did not cross; the forwarder said:" >&2
	cat "$LOG" >&2
	exit 1
fi

section "tapkit show: the TAP in $NS_B, now held by the forwarder"
in_ns "$NS_B" "$TAPKIT" show "$DEV"

section "What the forwarder saw (a->b: from $NS_A's TAP to $NS_B's; b->a: the replies)"
kill -TERM "$FWD_PID"
for _ in $(seq 100); do
	kill -0 "$FWD_PID" 2>/dev/null || break
	sleep 0.05
done
wait "$FWD_PID" || true
FWD_PID=""
grep -E '^(a->b|b->a) ' "$LOG" || true
note "0x0806 frames are ARP (who has 10.250.0.2?), 0x0800 frames are the ICMP echo and reply"
