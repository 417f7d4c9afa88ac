#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Holders: which process has an adapter open. A `tapkit open` in the background must appear in
# `list --json` and `show --json` with its pid and the name "tapkit", also twice on a multi-queue
# adapter, and disappear when it ends. Also `open --read`: frames the kernel sends into the TAP
# are printed one per line.
#
#   +---------------- $NS ----------------+
#   |  h0 (tap) <== tapkit open h0 (bg)    |
#   |  m0 (tap, multi-queue) <== 2 queues  |
#   |  r0 (tap, 10.250.4.1/24) ==> reader  |
#   +--------------------------------------+
#   +--------------- $NS2 ----------------+
#   |  h0 (tap) <== tapkit open h0 (bg)    |   same name, another namespace: not our holder
#   +--------------------------------------+

# shellcheck source=tests/netns/lib.sh
source "$(dirname "$0")/lib.sh"
tk_require
tk_ns_new NS hold

tk_ok "$NS" create h0

tk_case "no holders while nobody has it open"
tk_ok "$NS" show h0 --json
expect_json adapter.holders "[]"
expect_json adapter.carrier false
expect_json adapter.num_queues 0

tk_case "a background 'tapkit open' is listed with its pid and name"
tk_bg "$NS" open h0
pid=$TK_PID
tk_wait_line "$pid" "^opened h0 pid [0-9]+\$"
printed=$(tk_bg_out "$pid" | sed -n 's/^opened h0 pid \([0-9]*\)$/\1/p')
[[ $printed == "$pid" ]] || tk_fail "open printed pid $printed, the background pid is $pid"
tk_ok "$NS" list --json
expect_json "adapters.[name=h0].holders" "[{\"name\": \"tapkit\", \"pid\": $pid}]"
tk_ok "$NS" show h0 --json
expect_json adapter.holders.0.pid "$pid"
expect_json adapter.holders.0.name tapkit
expect_json adapter.carrier true
# the kernel reports the count for multi-queue adapters only: a single held queue is still one
expect_json adapter.num_queues 1
tk_ok "$NS" list
expect_stdout "$pid"
expect_stdout tapkit

tk_case "holders are gone once the process ends (and the persistent adapter stays)"
tk_stop "$pid"
expect_rc 0
tk_ok "$NS" show h0 --json
expect_json adapter.holders "[]"
expect_json adapter.carrier false
expect_json adapter.num_queues 0

tk_case "a multi-queue adapter held by two processes lists both"
tk_ok "$NS" create m0 --multi-queue
tk_bg "$NS" open m0 --multi-queue
q1=$TK_PID
tk_wait_line "$q1" "^opened m0 pid $q1\$"
tk_bg "$NS" open m0 --multi-queue
q2=$TK_PID
tk_wait_line "$q2" "^opened m0 pid $q2\$"
tk_ok "$NS" show m0 --json
expect_json adapter.num_queues 2
expect_json_true "sorted(h['pid'] for h in d['adapter']['holders']) == sorted([$q1, $q2])"
expect_json_true "all(h['name'] == 'tapkit' for h in d['adapter']['holders'])"
expect_json linkinfo.info_data.numqueues 2 "$(ip_link_json "$NS" m0)"
tk_stop "$q1"
expect_rc 0
tk_ok "$NS" show m0 --json
expect_json_true "[h['pid'] for h in d['adapter']['holders']] == [$q2]"
tk_stop "$q2"
expect_rc 0

tk_case "holders are per namespace: a TAP of the same name held in another namespace is not listed"
tk_ns_new NS2 hold2
tk_ok "$NS2" create h0
tk_bg "$NS2" open h0
other=$TK_PID
tk_wait_line "$other" "^opened h0 pid $other\$"
tk_bg "$NS" open h0
mine=$TK_PID
tk_wait_line "$mine" "^opened h0 pid $mine\$"
tk_ok "$NS" show h0 --json
expect_json adapter.holders "[{\"name\": \"tapkit\", \"pid\": $mine}]"
tk_ok "$NS2" list --json
expect_json "adapters.[name=h0].holders" "[{\"name\": \"tapkit\", \"pid\": $other}]"
tk_stop "$mine"
expect_rc 0
tk_ok "$NS" show h0 --json
expect_json adapter.holders "[]"
tk_stop "$other"
expect_rc 0

tk_case "open --read prints the frames the kernel sends into the TAP"
tk_ok "$NS" create r0
# No IPv6 on r0: router solicitations would race the ARP frames this case counts.
run "$NS" sysctl -qw net.ipv6.conf.r0.disable_ipv6=1
tk_ok "$NS" set r0 mac 02:00:00:00:04:01
tk_ok "$NS" addr add r0 10.250.4.1/24
tk_ok "$NS" up r0
tk_bg "$NS" open r0 --read --count 2
rd=$TK_PID
tk_wait_line "$rd" "^opened r0 pid $rd\$"
# 10.250.4.2 is on r0's subnet inside this namespace: the kernel asks for it with ARP requests
# that go into the TAP, where the reader sees them. Nothing leaves the namespace.
tk_exec "$NS" ping -c 3 -i 0.5 -W 1 10.250.4.2
tk_wait_exit "$rd" 10
expect_rc 0
[[ $(grep -c '^frame ' <<<"$TK_OUT") == 2 ]] || tk_fail "expected exactly 2 frame lines"
grep -Eq '^frame 1 len [0-9]+ 02:00:00:00:04:01 > ff:ff:ff:ff:ff:ff type 0x0806$' <<<"$TK_OUT" ||
	tk_fail "frame 1 is not the ARP broadcast from 02:00:00:00:04:01"

tk_ok "$NS" delete h0
tk_ok "$NS" delete m0
tk_ok "$NS" delete r0
