#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Life cycle of adapters on real devices: create (TAP and TUN, owner and group, multi-queue,
# vnet-hdr), list, show, persistence beyond the creating process, non-persistent opens, delete.
# Every claim tapkit makes is checked against what the kernel says (`ip -j -d link`, sysfs).
#
#   +-------------------- $NS --------------------+
#   |  lo   tk0 (tap)  tun0 (tun)  own0  mq0  vh0  |   all made by tapkit, removed by the trap
#   +---------------------------------------------+

# shellcheck source=tests/netns/lib.sh
source "$(dirname "$0")/lib.sh"
tk_require
tk_ns_new NS life

tk_case "list in a fresh namespace: no adapters (lo is not one)"
tk_ok "$NS" list --json
expect_json version 1
expect_json adapters "[]"
tk_ok "$NS" list

tk_case "create a TAP: persistent, down, no owner, and the kernel agrees"
tk_ok "$NS" create tk0
expect_link "$NS" tk0
link=$(ip_link_json "$NS" tk0)
expect_json linkinfo.info_kind tun "$link"
expect_json linkinfo.info_data.type tap "$link"
expect_json linkinfo.info_data.persist true "$link"
[[ $(ns_sysfs "$NS" tk0 owner) == -1 ]] || tk_fail "tk0 has an owner"
tk_ok "$NS" show tk0 --json
expect_json version 1
expect_json adapter.name tk0
expect_json adapter.kind tap
expect_json adapter.persist true
expect_json adapter.up false
expect_json adapter.multi_queue false
expect_json adapter.vnet_hdr false
expect_json adapter.pi false
expect_json adapter.owner null
expect_json adapter.group null
expect_json adapter.master null
expect_json adapter.holders "[]"
expect_json adapter.addresses "[]"
expect_json adapter.driver tun
expect_json adapter.mtu "$(json_get "$link" mtu)"
expect_json adapter.mac "$(json_get "$link" address)"
expect_json adapter.ifindex "$(json_get "$link" ifindex)"
expect_json adapter.id "$(json_get "$link" ifindex)"
tk_ok "$NS" show tk0
expect_stdout tk0
expect_stdout "$(json_get "$link" address)"

tk_case "the adapter outlives the process that created it"
# The create command above has exited; the device is still there with IFF_PERSIST.
flags=$(ns_sysfs "$NS" tk0 tun_flags)
((flags & 0x800)) || tk_fail "tun_flags $flags lacks IFF_PERSIST"
expect_link "$NS" tk0

tk_case "create a TUN with --tun"
tk_ok "$NS" create tun0 --tun
expect_json linkinfo.info_data.type tun "$(ip_link_json "$NS" tun0)"
tk_ok "$NS" show tun0 --json
expect_json adapter.kind tun

tk_case "list shows both, with the kernel's ifindex"
tk_ok "$NS" list --json
expect_json_true 'sorted(a["name"] for a in d["adapters"]) == ["tk0", "tun0"]'
expect_json "adapters.[name=tk0].kind" tap
expect_json "adapters.[name=tun0].kind" tun
expect_json "adapters.[name=tun0].ifindex" "$(json_get "$(ip_link_json "$NS" tun0)" ifindex)"
tk_ok "$NS" list
expect_stdout tk0
expect_stdout tun0
grep -q '^lo\b' <<<"$TK_OUT" && tk_fail "text list shows lo"

tk_case "create with --owner and --group (numeric and by name)"
tk_ok "$NS" create own0 --owner 4242 --group 4343
[[ $(ns_sysfs "$NS" own0 owner) == 4242 ]] || tk_fail "sysfs owner is not 4242"
[[ $(ns_sysfs "$NS" own0 group) == 4343 ]] || tk_fail "sysfs group is not 4343"
expect_json linkinfo.info_data.user 4242 "$(ip_link_json "$NS" own0)"
tk_ok "$NS" show own0 --json
expect_json adapter.owner 4242
expect_json adapter.group 4343
tk_ok "$NS" create own1 --owner nobody --group nogroup
[[ $(ns_sysfs "$NS" own1 owner) == "$(id -u nobody)" ]] || tk_fail "owner 'nobody' not resolved"
[[ $(ns_sysfs "$NS" own1 group) == "$(getent group nogroup | cut -d: -f3)" ]] || tk_fail "group 'nogroup' not resolved"
tk "$NS" create own2 --owner no-such-user-tk
expect_rc 2
expect_no_link "$NS" own2

tk_case "create --multi-queue"
tk_ok "$NS" create mq0 --multi-queue
expect_json linkinfo.info_data.multi_queue true "$(ip_link_json "$NS" mq0)"
tk_ok "$NS" show mq0 --json
expect_json adapter.multi_queue true
expect_json adapter.num_queues 0

tk_case "create --vnet-hdr"
tk_ok "$NS" create vh0 --vnet-hdr
expect_json linkinfo.info_data.vnet_hdr true "$(ip_link_json "$NS" vh0)"
tk_ok "$NS" show vh0 --json
expect_json adapter.vnet_hdr true

tk_case "--persist is accepted (and is the default)"
tk_ok "$NS" create per0 --persist
expect_json linkinfo.info_data.persist true "$(ip_link_json "$NS" per0)"

tk_case "create an existing name: TK_E_EXISTS, exit 5, the device is untouched"
before=$(ip_link_json "$NS" tk0)
tk "$NS" create tk0
expect_error TK_E_EXISTS - 5
[[ $(json_get "$(ip_link_json "$NS" tk0)" ifindex) == $(json_get "$before" ifindex) ]] || tk_fail "tk0 was recreated"

tk_case "open of an absent name makes a non-persistent adapter that goes with the process"
tk_bg "$NS" open tmp0
pid=$TK_PID
tk_wait_line "$pid" "^opened tmp0 pid $pid\$"
expect_link "$NS" tmp0
expect_json linkinfo.info_data.persist false "$(ip_link_json "$NS" tmp0)"
tk_stop "$pid"
expect_rc 0
tk_wait_until 5 "tmp0 to go away" link_absent "$NS" tmp0

tk_case "open of a persistent adapter leaves it in place after the process ends"
tk_bg "$NS" open tk0 --no-create
pid=$TK_PID
tk_wait_line "$pid" "^opened tk0 pid $pid\$"
tk_stop "$pid"
expect_rc 0
expect_link "$NS" tk0

tk_case "open --timeout ends by itself with exit 0"
tk_bg "$NS" open tk0 --timeout 1
pid=$TK_PID
tk_wait_exit "$pid" 10
expect_rc 0
expect_stdout "opened tk0 pid $pid"

tk_case "delete removes the device; list no longer shows it"
for dev in tk0 tun0 own0 own1 mq0 vh0 per0; do
	tk_ok "$NS" delete "$dev"
	expect_no_link "$NS" "$dev"
done
tk_ok "$NS" list --json
expect_json adapters "[]"
