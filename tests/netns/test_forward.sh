#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# examples/tk-forward (the demo's forwarder, built on the public API only) and scripts/demo.sh:
# frames cross between TAPs in two namespaces both ways, one line per frame; --count, --timeout
# and SIGTERM end it; a missing TAP or namespace is reported with its cause; the adapter
# vanishing ends it with a failure. Then the README's demo runs end to end and leaves nothing.
#
#   +------- $NA -------+                        +------- $NB -------+
#   |  fw0 10.250.5.1/30 |<==> tk-forward <==>|  fw0 10.250.5.2/30 |
#   +-------------------+                        +-------------------+

# shellcheck source=tests/netns/lib.sh
source "$(dirname "$0")/lib.sh"
tk_require
FORWARD=$TK_BUILD_DIR/tk-forward
[[ -x $FORWARD ]] || tk_fail "$FORWARD is not built"
tk_ns_new NA fwa
tk_ns_new NB fwb

# tk-forward runs in the test's own namespace and enters the two by their /run/netns names.
fwd_bg()
{
	tk_spawn host "$FORWARD" "$@"
}

fwd()
{
	tk_pretty host tk-forward "$@"
	TK_LAST_CMD="tk-forward $*"
	TK_RC=0
	"$FORWARD" "$@" >"$TK_TMP/last.out" 2>"$TK_TMP/last.err" || TK_RC=$?
	TK_OUT=$(cat "$TK_TMP/last.out")
	TK_ERR=$(cat "$TK_TMP/last.err")
	tk_echo_stderr
}

for side in A B; do
	ns=$NA mac=02:00:00:00:05:01 ip=10.250.5.1/30
	if [[ $side == B ]]; then
		ns=$NB mac=02:00:00:00:05:02 ip=10.250.5.2/30
	fi
	run "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	tk_ok "$ns" create fw0
	tk_ok "$ns" set fw0 mac "$mac"
	tk_ok "$ns" addr add fw0 "$ip"
	tk_ok "$ns" up fw0
done

tk_case "frames cross both ways: a ping and its ARP, one line per frame, --count ends it"
fwd_bg "$NA:fw0" "$NB:fw0" --count 4 --timeout 20
pid=$TK_PID
tk_wait_line "$pid" '^forwarding '
tk_exec "$NA" ping -c 1 -W 2 10.250.5.2
expect_rc 0
# ARP request a->b, reply b->a, echo a->b, echo reply b->a.
tk_wait_exit "$pid" 10
expect_rc 0
expect_stdout "a->b 42 bytes 02:00:00:00:05:01 > ff:ff:ff:ff:ff:ff type 0x0806"
expect_stdout "b->a 42 bytes 02:00:00:00:05:02 > 02:00:00:00:05:01 type 0x0806"
expect_stdout "a->b 98 bytes 02:00:00:00:05:01 > 02:00:00:00:05:02 type 0x0800"
expect_stdout "b->a 98 bytes 02:00:00:00:05:02 > 02:00:00:00:05:01 type 0x0800"
[[ $(grep -cE '^(a->b|b->a) ' <<<"$TK_OUT") == 4 ]] || tk_fail "expected exactly 4 frame lines"

tk_case "while it runs, tapkit shows it as the holder of both TAPs"
fwd_bg "$NA:fw0" "$NB:fw0" --timeout 20
pid=$TK_PID
tk_wait_line "$pid" '^forwarding '
tk_ok "$NA" show fw0 --json
expect_json adapter.holders "[{\"name\": \"tk-forward\", \"pid\": $pid}]"
tk_ok "$NB" show fw0 --json
expect_json adapter.holders.0.pid "$pid"

tk_case "SIGTERM ends it with exit 0"
tk_stop "$pid"
expect_rc 0

tk_case "--timeout before --count is reached: exit 1 saying so"
fwd "$NA:fw0" "$NB:fw0" --count 1000 --timeout 1
expect_rc 1
expect_stderr "timed out"

tk_case "a TAP that does not exist: exit 1 with TK_E_ADAPTER_NOT_FOUND (it never creates one)"
fwd "$NA:nosuch0" "$NB:fw0" --timeout 1
expect_rc 1
expect_stderr TK_E_ADAPTER_NOT_FOUND
expect_stderr nosuch0
expect_no_link "$NA" nosuch0

tk_case "a namespace that does not exist: exit 1 naming it"
fwd "${TK_PREFIX}-nosuchns:fw0" "$NB:fw0" --timeout 1
expect_rc 1
expect_stderr "/run/netns/${TK_PREFIX}-nosuchns"
expect_stderr "ip netns add"

tk_case "usage errors: exit 2"
fwd "$NA:fw0"
expect_rc 2
fwd "$NA:fw0" "$NB:fw0" --count x
expect_rc 2

tk_case "the adapter deleted under it: exit 1 with TK_E_DEVICE_VANISHED"
fwd_bg "$NA:fw0" "$NB:fw0" --timeout 20
pid=$TK_PID
tk_wait_line "$pid" '^forwarding '
run "$NB" ip link del fw0
tk_wait_exit "$pid" 10
expect_rc 1
expect_stderr TK_E_DEVICE_VANISHED

tk_case "the README's demo (scripts/demo.sh) runs end to end and removes what it made"
TK_LAST_CMD="scripts/demo.sh"
TK_RC=0
TK_BUILD_DIR=$TK_BUILD_DIR TAPKIT=$TAPKIT bash "$TK_SOURCE_DIR/scripts/demo.sh" >"$TK_TMP/demo.out" 2>&1 || TK_RC=$?
TK_OUT=$(cat "$TK_TMP/demo.out")
TK_ERR=""
expect_rc 0
expect_stdout "3 packets transmitted, 3 received"
expect_stdout "holders:"
expect_stdout "tk-forward (pid"
grep -qE '^a->b 98 bytes 02:00:00:00:0a:01 > 02:00:00:00:0b:01 type 0x0800$' <<<"$TK_OUT" ||
	tk_fail "the demo shows no ICMP frame crossing a->b"
demo_ns=$(sed -n 's/.*namespaces \(tkdemo-a-[0-9]*\) and \(tkdemo-b-[0-9]*\).*/\1 \2/p' <<<"$TK_OUT" | head -n 1)
[[ -n $demo_ns ]] || tk_fail "the demo did not report its clean-up"
for ns in $demo_ns; do
	if ip netns list | grep -qw "$ns"; then
		tk_fail "the demo left namespace $ns behind"
	fi
done
