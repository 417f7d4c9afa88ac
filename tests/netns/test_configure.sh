#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Configuring real adapters: up/down, MTU (and the kernel's reason for a refused one), MAC (and
# multicast refused), bridge master/nomaster, IPv4 and IPv6 addresses (and the duplicate-address
# error). Each change is verified with `ip -j`, not only with tapkit's own view.
#
#   +----------------------- $NS -----------------------+
#   |  c0 (tap) --master--> br0 (ip link add type bridge) |
#   |  t0 (tun)                                          |
#   +----------------------------------------------------+

# shellcheck source=tests/netns/lib.sh
source "$(dirname "$0")/lib.sh"
tk_require
tk_ns_new NS conf

link_field()
{
	json_get "$(ip_link_json "$NS" "$1")" "$2"
}

has_flag()
{
	json_true "$(ip_link_json "$NS" "$1")" "\"$2\" in d[\"flags\"]"
}

addr_present()
{
	local j
	j=$(ip -n "$NS" -j addr show dev "$1")
	json_true "$j" "any(a[\"local\"] == \"$2\" and a[\"prefixlen\"] == $3 for a in d[0][\"addr_info\"])"
}

tk_ok "$NS" create c0
tk_ok "$NS" create t0 --tun

tk_case "up and down"
tk_ok "$NS" up c0
has_flag c0 UP || tk_fail "c0 is not UP after tapkit up"
tk_ok "$NS" show c0 --json
expect_json adapter.up true
tk_ok "$NS" down c0
has_flag c0 UP && tk_fail "c0 still UP after tapkit down"
tk_ok "$NS" show c0 --json
expect_json adapter.up false
tk_ok "$NS" up t0
has_flag t0 UP || tk_fail "t0 (tun) is not UP"

tk_case "set mtu"
tk_ok "$NS" set c0 mtu 1400
[[ $(link_field c0 mtu) == 1400 ]] || tk_fail "kernel mtu is $(link_field c0 mtu), not 1400"
tk_ok "$NS" show c0 --json
expect_json adapter.mtu 1400

tk_case "set mtu out of range: refused with the kernel's reason, mtu unchanged"
tk "$NS" set c0 mtu 70000
expect_fail
expect_cause TK_E_BAD_ARGUMENT
expect_errno 22
expect_stderr "greater than device maximum"
tk "$NS" set c0 mtu 60
expect_fail
expect_errno 22
expect_stderr "less than device minimum"
[[ $(link_field c0 mtu) == 1400 ]] || tk_fail "mtu changed by a refused set"
tk "$NS" set c0 mtu twelve
expect_rc 2

tk_case "set mac"
tk_ok "$NS" set c0 mac 02:11:22:33:44:55
[[ $(link_field c0 address) == 02:11:22:33:44:55 ]] || tk_fail "kernel mac is $(link_field c0 address)"
tk_ok "$NS" show c0 --json
expect_json adapter.mac 02:11:22:33:44:55

tk_case "set mac to a multicast address: refused, exit 2, mac unchanged"
tk "$NS" set c0 mac 01:00:5e:00:00:01
expect_rc 2
expect_stderr multicast
[[ $(link_field c0 address) == 02:11:22:33:44:55 ]] || tk_fail "mac changed by a refused set"
tk "$NS" set c0 mac 02:11:22:33:44
expect_rc 2

tk_case "several settings in one command, applied in order"
tk_ok "$NS" set c0 mtu 1300 mac 02:aa:bb:cc:dd:ee mtu 1280
[[ $(link_field c0 mtu) == 1280 ]] || tk_fail "mtu is $(link_field c0 mtu), not the last one (1280)"
[[ $(link_field c0 address) == 02:aa:bb:cc:dd:ee ]] || tk_fail "mac not set"

tk_case "master and nomaster with a bridge"
run "$NS" ip link add br0 type bridge
tk_ok "$NS" set c0 master br0
[[ $(link_field c0 master) == br0 ]] || tk_fail "kernel says master '$(link_field c0 master)'"
tk_ok "$NS" show c0 --json
expect_json adapter.master br0
tk_ok "$NS" set c0 nomaster
json_true "$(ip_link_json "$NS" c0)" '"master" not in d' || tk_fail "c0 still has a master"
tk_ok "$NS" show c0 --json
expect_json adapter.master null
tk "$NS" set c0 master nosuchbr0
expect_fail
expect_stderr nosuchbr0
json_true "$(ip_link_json "$NS" c0)" '"master" not in d' || tk_fail "c0 got a master"

tk_case "addr add: IPv4 and IPv6"
tk_ok "$NS" addr add c0 10.250.1.1/24
addr_present c0 10.250.1.1 24 || tk_fail "10.250.1.1/24 not on c0"
tk_ok "$NS" addr add c0 fd00:250::1/64
addr_present c0 fd00:250::1 64 || tk_fail "fd00:250::1/64 not on c0"
tk_ok "$NS" show c0 --json
expect_json_true '"10.250.1.1/24" in d["adapter"]["addresses"]'
expect_json_true '"fd00:250::1/64" in d["adapter"]["addresses"]'
tk_ok "$NS" addr add t0 10.250.2.1/30
addr_present t0 10.250.2.1 30 || tk_fail "10.250.2.1/30 not on t0 (tun)"

tk_case "addr add of an address already there: TK_E_EXISTS, errno 17, exit 5"
tk "$NS" addr add c0 10.250.1.1/24
expect_error TK_E_EXISTS 17 5
tk "$NS" addr add c0 fd00:250::1/64
expect_error TK_E_EXISTS 17 5

tk_case "addr add of a malformed address: TK_E_ADDRESS_INVALID, exit 2"
tk "$NS" addr add c0 10.250.1.300/24
expect_rc 2
expect_cause TK_E_ADDRESS_INVALID
tk "$NS" addr add c0 10.250.1.3/33
expect_rc 2

tk_case "addr del: IPv4 and IPv6"
tk_ok "$NS" addr del c0 10.250.1.1/24
addr_present c0 10.250.1.1 24 && tk_fail "10.250.1.1/24 still on c0"
tk_ok "$NS" addr del c0 fd00:250::1/64
addr_present c0 fd00:250::1 64 && tk_fail "fd00:250::1/64 still on c0"
tk_ok "$NS" show c0 --json
expect_json_true 'not any(a.startswith(("10.250.1.1/", "fd00:250::1/")) for a in d["adapter"]["addresses"])'

tk_case "addr del of an address that is not there: fails with the kernel's errno 99"
tk "$NS" addr del c0 10.250.1.1/24
expect_fail
expect_errno 99

tk_case "configure verbs on an absent adapter: TK_E_ADAPTER_NOT_FOUND, exit 4"
tk "$NS" set nosuch0 mtu 1400
expect_error TK_E_ADAPTER_NOT_FOUND - 4
tk "$NS" addr add nosuch0 10.250.3.1/24
expect_error TK_E_ADAPTER_NOT_FOUND - 4
tk "$NS" down nosuch0
expect_error TK_E_ADAPTER_NOT_FOUND - 4

tk_ok "$NS" delete c0
tk_ok "$NS" delete t0
