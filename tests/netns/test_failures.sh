#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Every failure tapkit promises to explain, provoked for real: the cause, the errno, the exit code
# and a specific fix. Privilege cases drop every capability with setpriv; missing-device cases hide
# /dev/net/tun under a tmpfs in a private mount namespace; busy and vanished cases use a second,
# real process.
#
#   +--------------------------- $NS ---------------------------+
#   |  busy0  <== tapkit open (bg)        <-- second tapkit open  |
#   |  own0 (owner 4242)   <-- uid 4243 (refused) / 4242 (ok)     |
#   |  mq0 (multi-queue)   <-- open without --multi-queue         |
#   |  van0 <== tapkit open --read (bg), then ip link del van0    |
#   |  lo, ve0 (veth)      <-- tapkit delete (not TAPs)           |
#   +-----------------------------------------------------------+

# shellcheck source=tests/netns/lib.sh
source "$(dirname "$0")/lib.sh"
tk_require
tk_ns_new NS fail

# ---------------------------------------------------------------------------------------------
tk_case "/dev/net/tun missing (a container without the device): TK_E_TUN_MISSING, errno 2"
tk_no_tun "$NS" open nt0 --json
expect_error TK_E_TUN_MISSING 2 4
expect_fix modprobe --device
expect_stderr /dev/net/tun
tk_no_tun "$NS" create nt0 --json
expect_error TK_E_TUN_MISSING 2 4
expect_no_link "$NS" nt0

# ---------------------------------------------------------------------------------------------
tk_case "no CAP_NET_ADMIN (node openable by anyone): TK_E_NO_PRIVILEGE, errno 1, exit 3"
tk_as 65534 0666 "$NS" create np0 --json
expect_error TK_E_NO_PRIVILEGE 1 3
expect_fix CAP_NET_ADMIN setcap
expect_no_link "$NS" np0
tk_as 65534 0666 "$NS" open np0 --json
expect_error TK_E_NO_PRIVILEGE 1 3
expect_fix CAP_NET_ADMIN setcap --owner
expect_no_link "$NS" np0

tk_case "no access to a 0600 /dev/net/tun as non-root: TK_E_NO_PRIVILEGE, errno 13 (EACCES)"
tk_as 65534 0600 "$NS" open np0 --json
expect_error TK_E_NO_PRIVILEGE 13 3
expect_stderr /dev/net/tun
expect_no_link "$NS" np0

# ---------------------------------------------------------------------------------------------
tk_case "adapter owned by another user: TK_E_OWNER_MISMATCH, errno 1, names the owner"
tk_ok "$NS" create own0 --owner 4242
tk_as 4243 0666 "$NS" open own0 --no-create --timeout 1 --json
expect_error TK_E_OWNER_MISMATCH 1 3
expect_stderr 4242
tk_case "the owner itself may open it without any capability"
tk_as 4242 0666 "$NS" open own0 --no-create --timeout 1
expect_rc 0
expect_stdout "opened own0 pid "

# ---------------------------------------------------------------------------------------------
tk_case "adapter busy: TK_E_ADAPTER_BUSY, errno 16, exit 5, names the holder"
tk_ok "$NS" create busy0
tk_bg "$NS" open busy0
holder=$TK_PID
tk_wait_line "$holder" "^opened busy0 pid $holder\$"
tk "$NS" open busy0
expect_error TK_E_ADAPTER_BUSY 16 5
[[ $(err_line held) == "tapkit (pid $holder)" ]] || tk_fail "held: line is '$(err_line held)', expected 'tapkit (pid $holder)'"
tk "$NS" open busy0 --json
expect_rc 5
expect_json_error TK_E_ADAPTER_BUSY 16
expect_json error.code 10
expect_json error.os_name EBUSY
expect_json error.holder.pid "$holder"
expect_json error.holder.name tapkit
tk_stop "$holder"
expect_rc 0
tk_case "once the holder is gone the same open succeeds"
tk_ok "$NS" open busy0 --no-create --timeout 1

# ---------------------------------------------------------------------------------------------
tk_case "flags mismatch: multi-queue adapter opened without --multi-queue (errno 22)"
tk_ok "$NS" create mq0 --multi-queue
tk "$NS" open mq0 --no-create --timeout 1 --json
expect_error TK_E_FLAGS_MISMATCH 22 1
expect_stderr multi-queue
tk_case "flags mismatch: a TAP opened as TUN"
tk_ok "$NS" create tap0
tk "$NS" open tap0 --tun --no-create --timeout 1 --json
expect_error TK_E_FLAGS_MISMATCH 22 1
expect_stderr tun
expect_stderr tap
expect_json linkinfo.info_data.type tap "$(ip_link_json "$NS" tap0)"
tk_case "flags mismatch: a single-queue TAP opened with --multi-queue"
tk "$NS" open tap0 --multi-queue --no-create --timeout 1 --json
expect_error TK_E_FLAGS_MISMATCH 22 1
expect_stderr multi-queue

# ---------------------------------------------------------------------------------------------
tk_case "invalid names: TK_E_NAME_INVALID, exit 2, nothing created"
before=$(link_names "$NS")
for name in abcdefghijklmnop a/b "" "a b" a:b . ..; do
	tk "$NS" create "$name" --json
	expect_rc 2
	expect_cause TK_E_NAME_INVALID
	expect_json error.cause TK_E_NAME_INVALID
	tk "$NS" open "$name" --timeout 1
	expect_rc 2
	expect_cause TK_E_NAME_INVALID
done
tk "$NS" create abcdefghijklmnop
expect_stderr 15
[[ $(link_names "$NS") == "$before" ]] || tk_fail "invalid names created devices: $(link_names "$NS" | tr '\n' ' ')"

# ---------------------------------------------------------------------------------------------
tk_case "device vanished while open: TK_E_DEVICE_VANISHED, errno 77 (EBADFD)"
tk_ok "$NS" create van0
tk_ok "$NS" up van0
tk_bg "$NS" open van0 --read
reader=$TK_PID
tk_wait_line "$reader" "^opened van0 pid $reader\$"
run "$NS" ip link del van0
tk_wait_exit "$reader" 10
expect_error TK_E_DEVICE_VANISHED 77 1
expect_stderr van0
# a failure on the frame path carries a trace id like any other call
[[ $(err_line trace) =~ ^[0-9a-f]{16}$ ]] || tk_fail "no trace id on the vanished read: '$(err_line trace)'"

# ---------------------------------------------------------------------------------------------
tk_case "not a TAP: delete lo / a veth device is refused with TK_E_NOT_TAP, both stay"
tk "$NS" delete lo --json
expect_error TK_E_NOT_TAP - 4
expect_link "$NS" lo
run "$NS" ip link add ve0 type veth peer name ve1
tk "$NS" delete ve0 --json
expect_error TK_E_NOT_TAP - 4
expect_link "$NS" ve0
tk "$NS" show ve0 --json
expect_error TK_E_NOT_TAP - 4

# ---------------------------------------------------------------------------------------------
tk_case "absent adapter: show/delete/up/open --no-create give TK_E_ADAPTER_NOT_FOUND, exit 4"
tk "$NS" show nosuch0
expect_error TK_E_ADAPTER_NOT_FOUND - 4
expect_stderr nosuch0
tk "$NS" show nosuch0 --json
expect_rc 4
expect_json_error TK_E_ADAPTER_NOT_FOUND -
expect_json error.object nosuch0
tk "$NS" delete nosuch0 --json
expect_error TK_E_ADAPTER_NOT_FOUND - 4
tk "$NS" up nosuch0 --json
expect_error TK_E_ADAPTER_NOT_FOUND - 4
tk "$NS" open nosuch0 --no-create --json
expect_error TK_E_ADAPTER_NOT_FOUND - 4
expect_no_link "$NS" nosuch0

# ---------------------------------------------------------------------------------------------
tk_case "usage errors: exit 2 with a message"
tk "$NS" frobnicate
expect_rc 2
tk "$NS" create
expect_rc 2
tk "$NS" open x0 --count nope --read
expect_rc 2
expect_no_link "$NS" x0
