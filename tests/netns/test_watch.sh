#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# `tapkit watch`: a declared configuration applied to TAPs that exist and to TAPs as they appear
# (made with `ip tuntap` and with `tapkit create`), again when one is re-created, never to
# adapters no section matches; SIGHUP reloads, and a bad file leaves the old configuration in
# force. Every state is read back from the kernel (`ip -j`), waiting on conditions with deadlines.
#
#   +------------------------------- $NS -------------------------------+
#   |  tapkit watch --config $CONF (bg)                                  |
#   |  wt0 wt1 wt2 wt3  <- [Adapter wt*]: UP, MTU 1400, 10.250.1.1/30,   |
#   |                       fd00:250::1/64                               |
#   |  port0            <- [Adapter port0]: MAC 02:00:00:00:25:01,       |
#   |                       Master br0 (a bridge made by the test)       |
#   |  bad0             <- [Adapter bad*]: Master nosuchbr (fails, logged)|
#   |  other0, other1   <- matched by nothing: left alone                |
#   +--------------------------------------------------------------------+

# shellcheck source=tests/netns/lib.sh
source "$(dirname "$0")/lib.sh"
tk_require
tk_ns_new NS watch

CONF=$TK_TMP/watch.conf
write_config()
{
	local mtu=$1
	cat >"$CONF" <<EOF
# tapkit watch test configuration
[Adapter wt*]
Up = true
MTU = $mtu
Address = 10.250.1.1/30
Address = fd00:250::1/64

[Adapter]
Match = port0
MAC = 02:00:00:00:25:01
Master = br0
Up = yes

[Adapter bad*]
Master = nosuchbr
EOF
}

# configured DEV MTU: DEV is UP with that MTU and both addresses (read from the kernel).
configured()
{
	local j
	j=$(ip -n "$NS" -j addr show dev "$1" 2>/dev/null) || return 1
	json_true "$j" '(d[0]["mtu"] == '"$2"' and "UP" in d[0]["flags"] and
		{(a["local"], a["prefixlen"]) for a in d[0]["addr_info"]} >= {("10.250.1.1", 30), ("fd00:250::1", 64)})'
}

# untouched DEV: still as created: DOWN, MTU 1500, no IPv4/global address.
expect_untouched()
{
	local j
	j=$(ip -n "$NS" -j addr show dev "$1") || tk_fail "no device $1"
	json_true "$j" '(d[0]["mtu"] == 1500 and "UP" not in d[0]["flags"] and
		not [a for a in d[0]["addr_info"] if a["scope"] == "global"])' ||
		tk_fail "$1 was changed although no section matches it: $j"
}

ifindex()
{
	ip -n "$NS" -j link show dev "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["ifindex"])'
}

# applies DEV: how many times the watcher started configuring DEV (its log on stderr).
applies()
{
	grep -cE "\] $1 \(ifindex [0-9]+\): applying" "$TK_TMP/$WATCH.err" || true
}

# ---------------------------------------------------------------------------------------------
tk_case "--once applies to the adapters that exist and exits; unmatched ones are left alone"
write_config 1400
run "$NS" ip tuntap add dev wt0 mode tap
run "$NS" ip tuntap add dev other0 mode tap
tk "$NS" watch --config "$CONF" --once
expect_rc 0
expect_stdout "configured 1 adapter(s), 0 failed"
configured wt0 1400 || tk_fail "wt0 not configured by --once: $(ip -n "$NS" addr show dev wt0)"
expect_untouched other0
# Each action is logged with its trace id.
grep -qE '\[trace [0-9a-f]+\] wt0: set mtu 1400' <<<"$TK_ERR" || tk_fail "no 'set mtu' log line with a trace id"

tk_case "--once with a bad file: exit 2, FILE:LINE and the reason"
printf '[Adapter wt*]\nUp = true\nMTU = huge\n' >"$TK_TMP/bad.conf"
tk "$NS" watch --config "$TK_TMP/bad.conf" --once
expect_error TK_E_CONFIG - 2
expect_stderr "$TK_TMP/bad.conf:3"
expect_stderr 'MTU must be a number from 68 to 65535, not "huge"'

# ---------------------------------------------------------------------------------------------
tk_case "following link events: adapters made by ip tuntap and by tapkit are configured at once"
run "$NS" ip link del wt0
run "$NS" ip link add br0 type bridge
run "$NS" ip link set br0 up
tk_bg "$NS" watch --config "$CONF"
WATCH=$TK_PID
tk_wait_line "$WATCH" "^watching $CONF\$"
run "$NS" ip tuntap add dev other1 mode tap
run "$NS" ip tuntap add dev wt1 mode tap
tk_wait_until 10 "wt1 configured" configured wt1 1400
tk_ok "$NS" create wt2
tk_wait_until 10 "wt2 configured" configured wt2 1400
# other1 appeared before wt1: its event was handled by the time wt1 was configured.
expect_untouched other1
expect_untouched other0

tk_case "an exact section: MAC and bridge master, read back from the kernel"
tk_ok "$NS" create port0
port_ok()
{
	local j
	j=$(ip -n "$NS" -j link show dev port0) || return 1
	json_true "$j" 'd[0].get("master") == "br0" and d[0]["address"] == "02:00:00:00:25:01" and "UP" in d[0]["flags"]'
}
tk_wait_until 10 "port0 in br0 with its MAC" port_ok

tk_case "a failing action is logged with its cause; the watcher keeps going"
run "$NS" ip tuntap add dev bad0 mode tap
tk_wait_until 10 "the failure of bad0 in the log" grep -q "bad0: set master nosuchbr failed" "$TK_TMP/$WATCH.err"
grep -qE "bad0: set master nosuchbr failed: .*cause=TK_E_" "$TK_TMP/$WATCH.err" ||
	tk_fail "the failure line lacks its cause: $(grep bad0 "$TK_TMP/$WATCH.err")"
kill -0 "$WATCH" || tk_fail "the watcher died after a failed action"

tk_case "configured once per appearance, again when re-created (new ifindex)"
[[ $(applies wt1) -eq 1 ]] || tk_fail "wt1 was configured $(applies wt1) times for one appearance"
OLD=$(ifindex wt1)
run "$NS" ip link del wt1
run "$NS" ip tuntap add dev wt1 mode tap
[[ $(ifindex wt1) != "$OLD" ]] || tk_fail "the re-created wt1 kept its ifindex"
tk_wait_until 10 "re-created wt1 configured" configured wt1 1400
[[ $(applies wt1) -eq 2 ]] || tk_fail "wt1 was configured $(applies wt1) times for two appearances"
# One trace per apply: the two applies of wt1 carry different trace ids.
TRACES=$(grep -oE "\[trace [0-9a-f]+\] wt1 \(ifindex" "$TK_TMP/$WATCH.err" | awk '{print $2}' | sort -u | wc -l)
[[ $TRACES -eq 2 ]] || tk_fail "expected 2 distinct trace ids for the two applies of wt1, got $TRACES"

# ---------------------------------------------------------------------------------------------
tk_case "SIGHUP with a bad file: rejected with FILE:LINE, the old configuration stays in force"
printf '[Adapter wt*]\nUp = true\nMTU = 1300\nColour = blue\n' >"$CONF"
kill -HUP "$WATCH"
tk_wait_until 10 "the rejection on stderr" grep -q "reload of $CONF rejected" "$TK_TMP/$WATCH.err"
grep -qF "$CONF:4" "$TK_TMP/$WATCH.err" || tk_fail "the rejection does not name $CONF:4"
grep -qF 'unknown key "Colour"' "$TK_TMP/$WATCH.err" || tk_fail "the rejection does not say why"
run "$NS" ip link del wt2
tk_ok "$NS" create wt2
tk_wait_until 10 "re-created wt2 configured with the OLD MTU 1400" configured wt2 1400

tk_case "SIGHUP with a good file: existing adapters and new ones get the new configuration"
write_config 1300
kill -HUP "$WATCH"
tk_wait_until 10 "wt1 reconfigured to MTU 1300" configured wt1 1300
tk_wait_until 10 "wt2 reconfigured to MTU 1300" configured wt2 1300
run "$NS" ip tuntap add dev wt3 mode tap
tk_wait_until 10 "new wt3 configured with MTU 1300" configured wt3 1300
expect_untouched other0
expect_untouched other1

tk_case "SIGTERM stops the watcher with exit 0"
tk_stop "$WATCH"
expect_rc 0
