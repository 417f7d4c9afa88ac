#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The driver verbs on Linux: `tapkit driver status` reports the tun driver (built in, or a module
# loaded) the way the kernel shows it in /sys, in the same document as on Windows, also for a
# user without any capability; the Windows-only verbs (`driver install`, `enable`, `disable`)
# fail with TK_E_UNSUPPORTED and name the Linux way (`modprobe tun`, `tapkit up|down`), and
# leave the adapter as it was.
#
#   +---------- $NS ----------+
#   |  drv0 (tap, down)        |   <-- tapkit enable/disable drv0: unsupported, stays down
#   +--------------------------+

# shellcheck source=tests/netns/lib.sh
source "$(dirname "$0")/lib.sh"
tk_require
tk_ns_new NS drv

# What the kernel says, independently of tapkit: registered (misc 10:200), and a module has
# /sys/module/tun/initstate while a built-in driver has none.
[[ -e /sys/class/misc/tun ]] || tk_skip "the tun driver is not registered here (/sys/class/misc/tun)"
if [[ -e /sys/module/tun/initstate ]]; then
	want_state=loaded want_builtin=false
else
	want_state=builtin want_builtin=true
fi

# ---------------------------------------------------------------------------------------------
tk_case "driver status --json: the tun driver is present ($want_state), exit 0"
tk_ok "$NS" driver status --json
expect_json version 1
expect_json driver.name tun
expect_json driver.ok true
expect_json driver.cause null
expect_json driver.remedy null
expect_json driver.installed true
expect_json driver.loaded true
expect_json driver.file_present true
expect_json driver.state "$want_state"
expect_json driver.builtin "$want_builtin"
expect_json driver.driver_version "$(uname -r)"
# The Windows-only fields are there, and null.
expect_json_true 'all(d["driver"][k] is None for k in ("start_type", "image_path", "package"))'
expect_json_true 'd["driver"]["message"].startswith("the tun driver is ")'

tk_case "driver status as text has the same answer"
tk_ok "$NS" driver status
expect_stdout "driver:       tun"
expect_stdout "status:       ok"
expect_stdout "state:        $want_state"

tk_case "driver status needs no privilege: uid 65534 without capabilities gets the same answer"
tk_as 65534 0600 "$NS" driver status --json
expect_rc 0
expect_json driver.state "$want_state"

tk_case "the doctor's linux.driver check agrees"
tk "$NS" doctor --json
expect_json_true '[c["status"] for c in d["checks"] if c["id"] == "linux.driver"] == ["ok"]'

# ---------------------------------------------------------------------------------------------
tk_ok "$NS" create drv0
tk_case "enable/disable are Windows verbs: TK_E_UNSUPPORTED naming tapkit up|down, exit 1"
tk "$NS" enable drv0
expect_error TK_E_UNSUPPORTED - 1
expect_fix "tapkit up drv0"
tk "$NS" disable drv0 --json
expect_error TK_E_UNSUPPORTED - 1
expect_fix "tapkit down drv0"
expect_json error.op "disable adapter"
expect_json error.object drv0
tk "$NS" enable x
expect_error TK_E_UNSUPPORTED - 1
expect_fix "tapkit up x"
[[ $(ns_sysfs "$NS" drv0 flags) == 0x1002 ]] || tk_fail "drv0 changed: flags $(ns_sysfs "$NS" drv0 flags)"

tk_case "an invalid name is still a usage error (checked before the backend)"
tk "$NS" enable this-name-is-far-too-long
expect_error TK_E_NAME_INVALID - 2
tk "$NS" disable
expect_rc 2

# ---------------------------------------------------------------------------------------------
tk_case "driver install is a Windows verb: TK_E_UNSUPPORTED naming modprobe tun"
tk "$NS" driver install OemVista.inf --json
expect_error TK_E_UNSUPPORTED - 1
expect_fix "modprobe tun"
tk "$NS" driver install
expect_rc 2
expect_stderr "missing the INF file"
tk "$NS" driver reload
expect_rc 2
expect_stderr "expected status or install"
