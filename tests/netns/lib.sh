# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2001
#
# Shared helpers for the netns integration tests; sourced by every tests/netns/test_*.sh.
#
# Shaped like the kernel's tools/testing/selftests/wireguard/netns.sh: each test makes its own
# network namespaces (names carry this shell's pid, so parallel runs never meet), prints every
# command it runs, and a trap removes every namespace and background process it made, also when an
# assertion fails half way. A failed assertion prints what was expected, the command and its
# output, and exits 1; a test that cannot run here exits 77 (ctest's SKIP_RETURN_CODE) with the
# reason. Waits are bounded poll loops on a condition, never bare sleeps.
#
# Environment (set by ctest, see CMakeLists.txt): TAPKIT = the CLI under test, TK_BUILD_DIR = its
# build directory, TK_SOURCE_DIR = the repository.

set -euo pipefail
export LC_ALL=C

TK_SOURCE_DIR=${TK_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
# shellcheck source=scripts/lib/proc.sh
source "$TK_SOURCE_DIR/scripts/lib/proc.sh"
TK_BUILD_DIR=${TK_BUILD_DIR:-$TK_SOURCE_DIR/build}
TAPKIT=${TAPKIT:-$TK_BUILD_DIR/tapkit}
TK_TEST=$(basename "${0%.sh}")
TK_PREFIX="tk$$"
TK_NAMESPACES=()
TK_BG_PIDS=()
TK_TMP=""
TK_OUT=""
TK_ERR=""
TK_RC=0
TK_LAST_JSON=0
TK_PID=""
TK_LAST_CMD=""
TK_CASES=0

# ---- output ---------------------------------------------------------------------------------

tk_log()
{
	printf '%s\n' "$*" >&2
}

# Prints a command the way it is run: "[ns] tapkit open t0".
tk_pretty()
{
	local where=$1
	shift
	local words=() w
	for w in "$@"; do
		if [[ $w == "$TAPKIT" ]]; then
			words+=(tapkit)
		elif [[ $w == '&' ]]; then
			words+=('&')
		elif [[ $w == "$TK_BUILD_DIR"/* ]]; then
			words+=("${w##*/}")
		else
			words+=("$(printf '%q' "$w")")
		fi
	done
	printf '\e[1;32m[+] %s:\e[0m %s\n' "$where" "${words[*]}" >&2
}

# One behaviour of the test file; only a header for the reader of the log.
tk_case()
{
	TK_CASES=$((TK_CASES + 1))
	printf '\n\e[1;34m== %s: %s\e[0m\n' "$TK_TEST" "$*" >&2
}

tk_skip()
{
	printf 'SKIP %s: %s\n' "$TK_TEST" "$*" >&2
	exit 77
}

tk_fail()
{
	set +x
	{
		printf '\n\e[1;31mFAIL %s: %s\e[0m\n' "$TK_TEST" "$*"
		if [[ -n $TK_LAST_CMD ]]; then
			printf '  last command: %s (exit %s)\n' "$TK_LAST_CMD" "$TK_RC"
			printf '  stdout:\n'
			sed 's/^/    | /' <<<"$TK_OUT"
			printf '  stderr:\n'
			sed 's/^/    | /' <<<"$TK_ERR"
		fi
	} >&2
	exit 1
}

# Shows what the last command printed on stderr, indented under it.
tk_echo_stderr()
{
	if [[ -n $TK_ERR ]]; then
		sed 's/^/    2> /' <<<"$TK_ERR" >&2
	fi
}

# ---- set-up and clean-up --------------------------------------------------------------------

tk_cleanup()
{
	local rc=$? left
	set +e
	trap - EXIT
	# Our background processes first: a tun fd keeps its namespace (and the devices in it) alive.
	proc_stop 5 "${TK_BG_PIDS[@]}"
	# Anything still running inside our namespaces was started by this test (a grandchild of a
	# background command); end it by pid, then delete the namespace. Persistent TAPs in it are
	# unregistered with the namespace.
	proc_netns_del "${TK_NAMESPACES[@]}"
	[[ -n $TK_TMP ]] && rm -rf "$TK_TMP"
	left=$(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${TK_PREFIX}-" || true)
	if [[ -n $left ]]; then
		printf 'FAIL %s: namespaces left behind: %s\n' "$TK_TEST" "$left" >&2
		rc=1
	fi
	case $rc in
	0) printf '\e[1;32mPASS %s (%d cases)\e[0m\n' "$TK_TEST" "$TK_CASES" >&2 ;;
	77) ;;
	*) printf '\e[1;31mFAIL %s (exit %d)\e[0m\n' "$TK_TEST" "$rc" >&2 ;;
	esac
	exit "$rc"
}

tk_require()
{
	[[ $EUID -eq 0 ]] || tk_skip "needs root (network namespaces and TAP devices); run: sudo make test"
	local c
	for c in ip unshare setpriv mount mknod python3; do
		command -v "$c" >/dev/null || tk_skip "needs '$c' (run ./setup.sh test to install it)"
	done
	[[ -x $TAPKIT ]] || tk_fail "TAPKIT=$TAPKIT is not an executable (build first: make)"
	[[ -c /dev/net/tun ]] || tk_skip "this machine has no /dev/net/tun (modprobe tun, or run the container with --device /dev/net/tun)"
	TK_TMP=$(mktemp -d "/tmp/${TK_PREFIX}-${TK_TEST}.XXXXXX")
	# Non-root runs (setpriv) execute a copy of the CLI from here: the build tree may not be
	# reachable for uid 65534.
	chmod 0755 "$TK_TMP"
	trap tk_cleanup EXIT
	# A signal (Ctrl-C, ctest's timeout) ends the test through the same clean-up.
	trap 'exit 130' INT
	trap 'exit 143' TERM HUP
	# A throw-away namespace proves we may make them at all (not in a restricted container).
	local probe="${TK_PREFIX}-probe"
	ip netns add "$probe" 2>/dev/null || tk_skip "cannot create network namespaces here (ip netns add failed)"
	ip netns del "$probe"
}

# tk_ns_new VAR TAG: makes namespace tk<pid>-TAG with lo up, stores its name in VAR.
tk_ns_new()
{
	local var=$1 ns="${TK_PREFIX}-$2"
	ip netns add "$ns"
	TK_NAMESPACES+=("$ns")
	ip -n "$ns" link set lo up
	printf -v "$var" '%s' "$ns"
}

# ---- running commands -----------------------------------------------------------------------

# tk_exec NS CMD...: runs CMD inside NS, keeps stdout in TK_OUT, stderr in TK_ERR and the exit
# code in TK_RC. Never fails by itself: the assertions below decide.
tk_exec()
{
	local ns=$1
	shift
	if [[ -n ${TK_SHOW:-} ]]; then
		printf '\e[1;32m[+] %s:\e[0m %s\n' "$ns" "$TK_SHOW" >&2
	else
		tk_pretty "$ns" "$@"
	fi
	TK_LAST_CMD="$(printf '%q ' "$@")"
	TK_LAST_CMD=${TK_LAST_CMD//"$TAPKIT"/tapkit}
	if [[ -n ${TK_SHOW:-} ]]; then
		TK_LAST_CMD=$TK_SHOW
	fi
	local out="$TK_TMP/last.out" err="$TK_TMP/last.err"
	TK_RC=0
	TK_LAST_JSON=0
	local a
	for a in "$@"; do
		[[ $a == --json ]] && TK_LAST_JSON=1
	done
	ip netns exec "$ns" "$@" >"$out" 2>"$err" || TK_RC=$?
	TK_OUT=$(cat "$out")
	TK_ERR=$(cat "$err")
	tk_echo_stderr
}

# tk NS ARGS...: runs the CLI inside NS (see tk_exec).
tk()
{
	local ns=$1
	shift
	tk_exec "$ns" "$TAPKIT" "$@"
}

# tk_ok NS ARGS...: runs the CLI and requires success.
tk_ok()
{
	tk "$@"
	[[ $TK_RC -eq 0 ]] || tk_fail "expected success"
}

# run NS CMD...: a set-up command that must succeed (ip link add ..., sysctl ...).
run()
{
	local ns=$1
	shift
	tk_pretty "$ns" "$@"
	ip netns exec "$ns" "$@" || tk_fail "set-up command failed: $*"
}

# A copy of the CLI that any uid may execute (see tk_require).
tk_unpriv_cli()
{
	if [[ ! -x $TK_TMP/bin/tapkit ]]; then
		mkdir -p "$TK_TMP/bin"
		chmod 0755 "$TK_TMP/bin"
		install -m 0755 "$TAPKIT" "$TK_TMP/bin/tapkit"
	fi
	printf '%s' "$TK_TMP/bin/tapkit"
}

# The script run by tk_as and tk_no_tun in a private mount namespace: it puts a tmpfs over /dev/net
# so the real /dev/net/tun is hidden, optionally makes a new node (char 10:200) with the given mode,
# then runs the CLI, as root or as a uid without any capability.
# shellcheck disable=SC2016
TK_DEVNET_SCRIPT='
set -e
node_mode=$1 uid=$2
shift 2
mount -t tmpfs -o mode=0755 tk-devnet /dev/net
if [ "$node_mode" != none ]; then
	mknod -m "$node_mode" /dev/net/tun c 10 200
fi
if [ "$uid" = 0 ]; then
	exec "$@"
fi
exec setpriv --reuid "$uid" --regid "$uid" --clear-groups --inh-caps=-all --bounding-set=-all "$@"
'

# tk_as UID NODE_MODE NS ARGS...: the CLI as UID (no capabilities at all) inside NS, with a
# /dev/net/tun node of mode NODE_MODE (0666: anyone may open it; 0600: only root, as on this
# machine). The device namespace and netns are the test's own.
tk_as()
{
	local uid=$1 mode=$2 ns=$3
	shift 3
	TK_SHOW="(uid $uid, no capabilities, /dev/net/tun mode $mode) tapkit $*" tk_exec "$ns" unshare -m sh -c "$TK_DEVNET_SCRIPT" tk-devnet "$mode" "$uid" "$(tk_unpriv_cli)" "$@"
}

# tk_no_tun NS ARGS...: the CLI as root where /dev/net/tun does not exist (a container without
# the device).
tk_no_tun()
{
	local ns=$1
	shift
	TK_SHOW="(no /dev/net/tun) tapkit $*" tk_exec "$ns" unshare -m sh -c "$TK_DEVNET_SCRIPT" tk-devnet none 0 "$TAPKIT" "$@"
}

# tk_spawn WHERE CMD...: starts CMD in the background inside namespace WHERE ("host": in the
# test's own namespace); TK_PID gets its pid. Its output goes to files that never move
# (bg<N>.out/.err, opened by the child itself), reachable as $TK_TMP/<pid>.out and .err through
# symlinks made after the fact, so nothing the child writes can be lost to a rename race.
# `ip netns exec` execs the command, so the pid is the command's own.
TK_BG_SEQ=0
tk_spawn()
{
	local where=$1
	shift
	tk_pretty "$where" "$@" '&'
	TK_BG_SEQ=$((TK_BG_SEQ + 1))
	local base="$TK_TMP/bg$TK_BG_SEQ"
	if [[ $where == host ]]; then
		"$@" >"$base.out" 2>"$base.err" &
	else
		ip netns exec "$where" "$@" >"$base.out" 2>"$base.err" &
	fi
	TK_PID=$!
	TK_BG_PIDS+=("$TK_PID")
	ln -sfn "$base.out" "$TK_TMP/$TK_PID.out"
	ln -sfn "$base.err" "$TK_TMP/$TK_PID.err"
}

# tk_bg NS ARGS...: the CLI in the background inside NS (see tk_spawn).
tk_bg()
{
	local ns=$1
	shift
	tk_spawn "$ns" "$TAPKIT" "$@"
}

# tk_bg_out PID / tk_bg_err PID: what a background command printed so far.
tk_bg_out()
{
	cat "$TK_TMP/$1.out" 2>/dev/null || true
}

tk_bg_err()
{
	cat "$TK_TMP/$1.err" 2>/dev/null || true
}

# tk_wait_line PID REGEX [SECONDS]: waits until the background command's stdout has a line
# matching REGEX; fails if the command exits first or the deadline passes.
tk_wait_line()
{
	local pid=$1 re=$2 secs=${3:-10} i
	for ((i = 0; i < secs * 20; i++)); do
		if grep -Eq -- "$re" "$TK_TMP/$pid.out" 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			TK_OUT=$(tk_bg_out "$pid") TK_ERR=$(tk_bg_err "$pid") TK_LAST_CMD="background pid $pid"
			tk_fail "background command exited before printing /$re/"
		fi
		sleep 0.05
	done
	TK_OUT=$(tk_bg_out "$pid") TK_ERR=$(tk_bg_err "$pid") TK_LAST_CMD="background pid $pid"
	tk_fail "no line /$re/ from background pid $pid within ${secs}s"
}

# tk_wait_exit PID [SECONDS]: waits for a background command to end; its exit code goes to TK_RC
# and its output to TK_OUT/TK_ERR, so the usual assertions apply to it.
tk_wait_exit()
{
	local pid=$1 secs=${2:-10} i
	for ((i = 0; i < secs * 20; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	TK_LAST_CMD="background pid $pid"
	TK_LAST_JSON=0
	TK_OUT=$(tk_bg_out "$pid")
	TK_ERR=$(tk_bg_err "$pid")
	if kill -0 "$pid" 2>/dev/null; then
		TK_RC=-1
		tk_fail "background pid $pid still running after ${secs}s"
	fi
	TK_RC=0
	wait "$pid" || TK_RC=$?
	local p rest=()
	for p in "${TK_BG_PIDS[@]}"; do
		[[ $p == "$pid" ]] || rest+=("$p")
	done
	TK_BG_PIDS=("${rest[@]}")
	tk_echo_stderr
}

# tk_stop PID [SECONDS]: SIGTERM, then tk_wait_exit.
tk_stop()
{
	kill -TERM "$1" 2>/dev/null || true
	tk_wait_exit "$@"
}

# tk_wait_until SECONDS WHAT CMD...: polls CMD (in this shell) until it succeeds.
tk_wait_until()
{
	local secs=$1 what=$2 i
	shift 2
	for ((i = 0; i < secs * 20; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	tk_fail "timed out after ${secs}s waiting for: $what"
}

# tk_wait_value SECS WHAT OP VALUE CMD...: waits until the output of CMD, run anew at each try,
# compares OP (=, -gt, -ge, ...) to VALUE. (tk_wait_until with `test "$(cmd)" = x` would expand
# $(cmd) once, before the first try.) Fails naming the last value seen.
tk_wait_value()
{
	local secs=$1 what=$2 op=$3 want=$4 got=""
	local end=$((SECONDS + secs))
	shift 4
	while :; do
		got=$("$@" 2>/dev/null) || true
		# shellcheck disable=SC2086 # op is an operator word
		test "$got" $op "$want" 2>/dev/null && return 0
		((SECONDS < end)) || break
		sleep 0.05
	done
	tk_fail "timed out after ${secs}s waiting for: $what (last value \"$got\", want $op $want)"
}

# ---- JSON -----------------------------------------------------------------------------------

# json_get JSON PATH: prints the value at PATH. PATH is dot-separated keys and list indices, and
# [key=value] picks the first list element whose key has that value:
# adapters.[name=tk0].holders.0.pid. Strings print bare, other values as JSON (true, null, 3).
# Exit 3 when the path is absent, 2 when JSON does not parse.
# shellcheck disable=SC2016
TK_JSON_GET='
import json, sys
try:
    cur = json.loads(sys.stdin.read())
except ValueError as e:
    print("<not JSON: %s>" % e); sys.exit(2)
path = sys.argv[1]
for seg in (path.split(".") if path else []):
    try:
        if seg.startswith("[") and seg.endswith("]"):
            k, _, v = seg[1:-1].partition("=")
            cur = [e for e in cur if isinstance(e, dict) and
                   (e.get(k) if isinstance(e.get(k), str) else json.dumps(e.get(k))) == v][0]
        elif isinstance(cur, list):
            cur = cur[int(seg)]
        else:
            cur = cur[seg]
    except (KeyError, IndexError, ValueError, TypeError):
        print("<absent>"); sys.exit(3)
print(cur if isinstance(cur, str) else json.dumps(cur, sort_keys=True))
'

json_get()
{
	python3 -c "$TK_JSON_GET" "$2" <<<"$1"
}

# json_true JSON EXPR: whether the Python expression EXPR over d (the parsed JSON) is true.
json_true()
{
	python3 -c 'import json, sys; d = json.loads(sys.stdin.read()); sys.exit(0 if eval(sys.argv[1]) else 1)' "$2" <<<"$1"
}

# ---- assertions -----------------------------------------------------------------------------

expect_rc()
{
	[[ $TK_RC -eq $1 ]] || tk_fail "expected exit code $1, got $TK_RC"
}

expect_fail()
{
	[[ $TK_RC -ne 0 ]] || tk_fail "expected a failure, got exit 0"
}

# expect_json PATH VALUE [JSON]: the value at PATH in JSON (default: TK_OUT) equals VALUE.
expect_json()
{
	local path=$1 want=$2 doc=${3-$TK_OUT} got
	got=$(json_get "$doc" "$path") || true
	[[ $got == "$want" ]] || tk_fail "JSON $path: expected '$want', got '$got'"
}

# expect_json_true EXPR [JSON]: a Python expression over d holds.
expect_json_true()
{
	local doc=${2-$TK_OUT}
	json_true "$doc" "$1" || tk_fail "JSON check failed: $1"
}

# The value of one line of the CLI's error block on stderr: "  cause:  TK_E_X (...)".
err_line()
{
	sed -n "s/^  $1: *//p" <<<"$TK_ERR" | head -n 1
}

expect_stderr()
{
	grep -qiF -- "$1" <<<"$TK_ERR" || tk_fail "stderr does not contain '$1'"
}

expect_stdout()
{
	grep -qF -- "$1" <<<"$TK_OUT" || tk_fail "stdout does not contain '$1'"
}

# expect_cause TK_E_X: the "cause:" line names this cause, the first line has the CLI's shape.
expect_cause()
{
	local got
	got=$(err_line cause | awk '{print $1}')
	[[ $got == "$1" ]] || tk_fail "expected cause $1, got '${got:-<no cause: line>}'"
	grep -qE '^tapkit: ' <<<"$TK_ERR" || tk_fail "stderr lacks the 'tapkit: <op> \"<object>\": <message>' line"
}

# expect_errno N: the "os:" line carries errno N (kind errno or netlink).
expect_errno()
{
	local os
	os=$(err_line os)
	[[ $os =~ ^(errno|netlink)\ $1( |$) ]] || tk_fail "expected errno $1 on the os: line, got '${os:-<no os: line>}'"
}

# expect_fix TEXT...: the "fix:" line is present and contains each TEXT (case-insensitive).
expect_fix()
{
	local fix t
	fix=$(err_line fix)
	[[ -n $fix ]] || tk_fail "no fix: line"
	for t in "$@"; do
		grep -qiF -- "$t" <<<"$fix" || tk_fail "fix: line does not mention '$t': $fix"
	done
}

# expect_error CAUSE ERRNO EXIT: the usual triple of a failure; ERRNO "-" for none. When the
# command ran with --json, the JSON error on stdout must say the same.
expect_error()
{
	expect_rc "$3"
	expect_cause "$1"
	if [[ $2 != - ]]; then
		expect_errno "$2"
	fi
	[[ -n $(err_line fix) ]] || tk_fail "no fix: line for $1"
	if [[ $TK_LAST_JSON == 1 ]]; then
		expect_json_error "$1" "$2"
	fi
}

# expect_json_error CAUSE ERRNO: the JSON error object on stdout (commands run with --json).
expect_json_error()
{
	expect_json error.cause "$1"
	if [[ $2 != - ]]; then
		expect_json error.os_code "$2"
	fi
	expect_json_true 'len(d["error"]["remedy"]) > 10 and len(d["error"]["message"]) > 5 and d["version"] == 1'
}

# ---- what the kernel says, independently of tapkit -------------------------------------------

# ip_link_json NS DEV: `ip -j -d link show DEV` as one JSON object (fails the test if absent).
ip_link_json()
{
	local j
	j=$(ip -n "$1" -j -d link show dev "$2" 2>/dev/null) || tk_fail "ip link: no device $2 in $1"
	json_get "$j" 0
}

link_exists()
{
	ip -n "$1" link show dev "$2" >/dev/null 2>&1
}

link_absent()
{
	! link_exists "$@"
}

expect_link()
{
	link_exists "$1" "$2" || tk_fail "device $2 does not exist in $1"
}

expect_no_link()
{
	link_absent "$1" "$2" || tk_fail "device $2 still exists in $1"
}

# The sorted interface names in NS.
link_names()
{
	ip -n "$1" -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | sort
}

# sysfs of NS (ip netns exec mounts the namespace's own /sys).
ns_sysfs()
{
	ip netns exec "$1" cat "/sys/class/net/$2/$3"
}
