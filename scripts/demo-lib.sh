# SPDX-License-Identifier: MIT
# shellcheck shell=bash
#
# What scripts/demo.sh and scripts/demo-tunnel.sh share (sourced, not run): the output helpers
# and the two network namespaces that stand in for two hosts. The caller sets NS_A and NS_B.

# DIM is for the demos' own helpers (note, show).
# shellcheck disable=SC2034
if [[ -t 1 ]]; then
	BOLD=$'\e[1m' DIM=$'\e[2m' OFF=$'\e[0m'
else
	BOLD="" DIM="" OFF=""
fi

section()
{
	printf '\n%s==> %s%s\n' "$BOLD" "$*" "$OFF"
}

# The two hosts: loopback up and IPv4 only, so the traffic shown is just the demo's (no IPv6
# chatter). The caller's cleanup deletes them, and with them what was moved or made inside.
demo_hosts_add()
{
	local ns
	ip netns add "$NS_A"
	ip netns add "$NS_B"
	for ns in "$NS_A" "$NS_B"; do
		ip -n "$ns" link set lo up
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	done
}
