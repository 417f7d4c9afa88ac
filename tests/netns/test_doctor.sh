#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# `tapkit doctor`: each Linux failure it explains is set up for real, and the check's status,
# cause, evidence and remedy are read back from BOTH the text and the JSON report.
#
#   +------------------------------ $NS ------------------------------+
#   |  ok0 (owner 0, multi-queue, UP) <== tapkit open --multi-queue   |
#   |  busy0 (owner 0, single-queue, UP) <== tapkit open (bg)         |
#   |  down0 (owner 0, DOWN)      own0 (owner 4242)                   |
#   |  free0 (persistent, no owner, no group)                         |
#   +-----------------------------------------------------------------+
#   the doctor runs as root, as uid 65534 without capabilities (setpriv), and with
#   /dev/net/tun hidden under a tmpfs in a private mount namespace.

# shellcheck source=tests/netns/lib.sh
source "$(dirname "$0")/lib.sh"
tk_require
tk_ns_new NS doc

# ---- helpers over the report -----------------------------------------------------------------

# check_json ID FIELD: a field of the check ID (the first one with that id) in the JSON report;
# FIELD may go one level down ("evidence.mode"). Check ids contain dots, hence not json_get.
# shellcheck disable=SC2016
CHECK_JSON='
import json, sys
d = json.loads(sys.stdin.read())
cs = [c for c in d["checks"] if c["id"] == sys.argv[1]]
if not cs:
    print("<no check>"); sys.exit(3)
cur = cs[0]
for k in sys.argv[2].split(".", 1):
    if not isinstance(cur, dict) or k not in cur:
        print("<absent>"); sys.exit(3)
    cur = cur[k]
print(cur if isinstance(cur, str) else json.dumps(cur))
'
check_json()
{
	python3 -c "$CHECK_JSON" "$1" "$2" <<<"$TK_OUT"
}

# expect_check_json ID FIELD VALUE
expect_check_json()
{
	local got
	got=$(check_json "$1" "$2") || true
	[[ $got == "$3" ]] || tk_fail "JSON check $1 .$2: expected '$3', got '$got'"
}

# expect_check_json_has ID FIELD TEXT: the field contains TEXT.
expect_check_json_has()
{
	local got
	got=$(check_json "$1" "$2") || true
	grep -qiF -- "$3" <<<"$got" || tk_fail "JSON check $1 .$2 does not contain '$3': '$got'"
}

# text_block ID: the line of check ID in the text report and its indented detail lines.
text_block()
{
	awk -v id="$1" '
		/^[a-z]+ +[a-z]/ { on = ($2 == id) }
		on { print }
	' <<<"$TK_OUT"
}

# expect_text STATUS ID [TEXT...]: the check's line has STATUS ("ok", "warn", "fail", "skip")
# and its block contains each TEXT.
expect_text()
{
	local status=$1 id=$2 block t
	shift 2
	block=$(text_block "$id")
	[[ -n $block ]] || tk_fail "no line for check $id in the text report"
	[[ $(head -n 1 <<<"$block" | awk '{print $1}') == "$status" ]] ||
		tk_fail "check $id: expected status $status, got: $(head -n 1 <<<"$block")"
	for t in "$@"; do
		grep -qiF -- "$t" <<<"$block" || tk_fail "check $id: text block lacks '$t':
$block"
	done
}

# ---- set-up ----------------------------------------------------------------------------------

tk_ok "$NS" create ok0 --owner 0 --multi-queue
tk_ok "$NS" up ok0
tk_ok "$NS" create busy0 --owner 0
tk_ok "$NS" up busy0
tk_ok "$NS" create down0 --owner 0
tk_ok "$NS" create own0 --owner 4242
run "$NS" ip tuntap add dev free0 mode tap

# ---------------------------------------------------------------------------------------------
tk_case "healthy: a multi-queue TAP with an owner, UP and held: every check ok, exit 0"
tk_bg "$NS" open ok0 --multi-queue
HOLDER=$TK_PID
tk_wait_line "$HOLDER" "^opened ok0 pid "
tk "$NS" doctor ok0 --json
expect_rc 0
expect_json version 1
expect_json ok true
expect_json adapter ok0
expect_json_true 'all(c["status"] == "ok" for c in d["checks"]) and d["counts"]["fail"] == 0 and d["counts"]["warn"] == 0'
expect_json_true 'len(d["checks"]) >= 14 and all(c["remedy"] is None and c["cause"] is None for c in d["checks"])'
expect_check_json linux.devnode evidence.rdev "10:200"
expect_check_json linux.adapter.holders evidence.holder_0 "$HOLDER tapkit"
expect_check_json_has linux.adapter.open summary "as one more queue"
tk "$NS" doctor ok0
expect_rc 0
expect_text ok linux.devnode "character device 10:200"
expect_text ok linux.adapter.carrier "carrier on"
expect_text ok linux.adapter.open "opened ok0"
expect_stdout "0 warn, 0 fail, 0 skipped"
! grep -qE '^(warn|fail|skip) ' <<<"$TK_OUT" || tk_fail "a healthy report has a non-ok line"
tk_stop "$HOLDER"

# ---------------------------------------------------------------------------------------------
tk_case "/dev/net/tun hidden (mount namespace): linux.devnode fails TK_E_TUN_MISSING, dependents skipped"
tk_no_tun "$NS" doctor ok0 --json
expect_rc 1
expect_json ok false
expect_check_json linux.devnode status fail
expect_check_json linux.devnode cause TK_E_TUN_MISSING
expect_check_json linux.devnode os_code 2
expect_check_json linux.devnode os_name ENOENT
expect_check_json linux.devnode evidence.path /dev/net/tun
expect_check_json_has linux.devnode evidence.errno ENOENT
expect_check_json_has linux.devnode remedy "mknod /dev/net/tun c 10 200"
expect_check_json_has linux.devnode remedy "--device /dev/net/tun"
expect_check_json linux.devnode.open status skipped
expect_check_json linux.devnode.open skipped_because linux.devnode
expect_check_json linux.adapter.open status skipped
expect_check_json linux.adapter.open skipped_because linux.devnode
expect_check_json_has linux.adapter.open summary "skipped because linux.devnode failed"
# The driver is still there: the doctor tells a missing node from a missing driver.
expect_check_json linux.driver status ok
tk_no_tun "$NS" doctor ok0
expect_rc 1
expect_text fail linux.devnode "missing" "cause: TK_E_TUN_MISSING" "errno 2" "errno=2" "fix:" "mknod /dev/net/tun c 10 200"
expect_text skip linux.adapter.open "skipped because linux.devnode failed"
expect_stdout "problems found"

# ---------------------------------------------------------------------------------------------
tk_case "non-root without capabilities, /dev/net/tun 0600: linux.devnode.open fails NO_PRIVILEGE (EACCES)"
tk_as 65534 0600 "$NS" doctor ok0 --json
expect_rc 1
expect_check_json linux.devnode status ok
expect_check_json linux.devnode evidence.mode 0600
expect_check_json linux.devnode.open status fail
expect_check_json linux.devnode.open cause TK_E_NO_PRIVILEGE
expect_check_json linux.devnode.open os_code 13
expect_check_json linux.devnode.open evidence.uid 65534
expect_check_json_has linux.devnode.open remedy "chmod 0666 /dev/net/tun"
expect_check_json linux.privilege status warn
expect_check_json linux.privilege cause TK_E_NO_PRIVILEGE
expect_check_json_has linux.privilege remedy "setcap cap_net_admin+ep"
expect_check_json linux.adapter.open skipped_because linux.devnode.open
tk_as 65534 0600 "$NS" doctor ok0
expect_rc 1
expect_text fail linux.devnode.open "cause: TK_E_NO_PRIVILEGE" "errno 13" "chmod 0666"
expect_text warn linux.privilege "no CAP_NET_ADMIN" "fix:" "setcap"

# ---------------------------------------------------------------------------------------------
tk_case "a persistent TAP owned by another uid: linux.adapter.owner fails OWNER_MISMATCH naming the owner"
tk_as 65534 0666 "$NS" doctor own0 --json
expect_rc 1
expect_check_json linux.devnode.open status ok
expect_check_json linux.adapter.owner status fail
expect_check_json linux.adapter.owner cause TK_E_OWNER_MISMATCH
expect_check_json linux.adapter.owner evidence.owner 4242
expect_check_json_has linux.adapter.owner evidence.caller "uid 65534"
expect_check_json_has linux.adapter.owner summary "uid 4242"
expect_check_json_has linux.adapter.owner remedy "tapkit create own0 --owner 65534"
expect_check_json linux.adapter.open skipped_because linux.adapter.owner
tk_as 65534 0666 "$NS" doctor own0
expect_rc 1
expect_text fail linux.adapter.owner "cause: TK_E_OWNER_MISMATCH" "owner=4242" "fix:" "--owner 65534"
expect_text skip linux.adapter.open "skipped because linux.adapter.owner failed"
# The owner itself passes the same checks, and the real open succeeds without any capability.
tk_as 4242 0666 "$NS" doctor own0 --json
expect_check_json linux.adapter.owner status ok
expect_check_json linux.adapter.open status ok

# ---------------------------------------------------------------------------------------------
tk_case "a persistent TAP with neither owner nor group: warning, and any uid really can attach"
tk_as 65534 0666 "$NS" doctor free0 --json
expect_rc 0
expect_check_json linux.adapter.owner status warn
expect_check_json_has linux.adapter.owner summary "any local user"
expect_check_json linux.adapter.owner evidence.owner -1
expect_check_json linux.adapter.owner evidence.group -1
expect_check_json_has linux.adapter.owner remedy "--owner"
expect_check_json linux.adapter.open status ok
tk_as 65534 0666 "$NS" doctor free0
expect_rc 0
expect_text warn linux.adapter.owner "neither owner nor group" "fix:" "tapkit create free0 --owner"

# ---------------------------------------------------------------------------------------------
tk_case "a second process holds a single-queue TAP: linux.adapter.open fails ADAPTER_BUSY naming it"
tk_bg "$NS" open busy0 --no-create
HOLDER=$TK_PID
tk_wait_line "$HOLDER" "^opened busy0 pid "
tk "$NS" doctor busy0 --json
expect_rc 1
expect_check_json linux.adapter.carrier status ok
expect_check_json linux.adapter.holders evidence.holder_0 "$HOLDER tapkit"
expect_check_json linux.adapter.open status fail
expect_check_json linux.adapter.open cause TK_E_ADAPTER_BUSY
expect_check_json linux.adapter.open os_code 16
expect_check_json linux.adapter.open os_name EBUSY
expect_check_json_has linux.adapter.open evidence.holder "(pid $HOLDER)"
expect_check_json_has linux.adapter.open summary "tapkit (pid $HOLDER)"
expect_check_json_has linux.adapter.open remedy "kill $HOLDER"
expect_check_json_has linux.adapter.open remedy "--multi-queue"
tk "$NS" doctor busy0
expect_rc 1
expect_text ok linux.adapter.holders "tapkit (pid $HOLDER)"
expect_text fail linux.adapter.open "cause: TK_E_ADAPTER_BUSY" "errno 16 EBUSY" "kill $HOLDER" "--multi-queue"
tk_stop "$HOLDER"
# Once the holder is gone the adapter has no carrier, and the doctor says why.
tk "$NS" doctor busy0 --json
expect_rc 0
expect_check_json linux.adapter.carrier status warn
expect_check_json linux.adapter.carrier cause TK_E_NO_CARRIER
expect_check_json_has linux.adapter.carrier summary "no process has busy0 open"
expect_check_json linux.adapter.carrier evidence.holders 0
expect_check_json linux.adapter.open status ok
tk "$NS" doctor busy0
expect_text warn linux.adapter.carrier "NO-CARRIER" "not a link problem" "tapkit open busy0"

# ---------------------------------------------------------------------------------------------
tk_case "a DOWN adapter: linux.adapter.up warns LINK_DOWN with 'tapkit up'; exit stays 0"
tk "$NS" doctor down0 --json
expect_rc 0
expect_json ok true
expect_check_json linux.adapter.up status warn
expect_check_json linux.adapter.up cause TK_E_LINK_DOWN
expect_check_json linux.adapter.up evidence.operstate down
# shellcheck disable=SC2016 # literal backquotes: the remedy text quotes the command
expect_check_json linux.adapter.up remedy '`tapkit up down0`'
tk "$NS" doctor down0
expect_rc 0
expect_text warn linux.adapter.up "is DOWN" "cause: TK_E_LINK_DOWN" "fix:" "tapkit up down0"

# ---------------------------------------------------------------------------------------------
tk_case "a named adapter that does not exist: ADAPTER_NOT_FOUND with 'tapkit create', the rest skipped"
tk "$NS" doctor nosuch0 --json
expect_rc 1
expect_check_json linux.adapter.exists status fail
expect_check_json linux.adapter.exists cause TK_E_ADAPTER_NOT_FOUND
expect_check_json_has linux.adapter.exists remedy "tapkit create nosuch0"
expect_json_true 'all(c["status"] == "skipped" and c["skipped_because"] == "linux.adapter.exists" for c in d["checks"] if c["id"].startswith("linux.adapter.") and c["id"] != "linux.adapter.exists")'
expect_json_true 'd["counts"]["skipped"] == 9 and d["counts"]["fail"] == 1'
tk "$NS" doctor nosuch0
expect_rc 1
expect_text fail linux.adapter.exists "cause: TK_E_ADAPTER_NOT_FOUND" "tapkit create nosuch0"
expect_text skip linux.adapter.mtu "skipped because linux.adapter.exists failed"

# ---------------------------------------------------------------------------------------------
tk_case "without a name: every TAP is checked (no open test), each check names its adapter"
tk "$NS" doctor --json
expect_rc 0
expect_check_json linux.adapters evidence.count 5
expect_json_true 'sorted({c["object"] for c in d["checks"] if c["id"] == "linux.adapter.exists"}) == ["busy0", "down0", "free0", "ok0", "own0"]'
expect_json_true 'not any(c["id"] == "linux.adapter.open" for c in d["checks"])'
expect_json_true '[c["status"] for c in d["checks"] if c["id"] == "linux.adapter.up" and c["object"] == "down0"] == ["warn"]'
tk "$NS" doctor
expect_rc 0
expect_stdout "down0: "

# ---------------------------------------------------------------------------------------------
tk_case "an invalid name is a usage error (exit 2), not a report"
tk "$NS" doctor "a/b"
expect_rc 2
expect_cause TK_E_NAME_INVALID
