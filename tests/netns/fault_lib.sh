# SPDX-License-Identifier: MIT
# shellcheck shell=bash disable=SC2034 # TK_* and FAULT_ASAN are read by lib.sh and the tests
#
# Helpers for the fault injection tests (tests/netns/test_fault_*.sh, docs/faults.md), on top of
# lib.sh and tunnel_lib.sh: which build runs (ASan or not), the sanitizers' verdict on a process
# that ended, a process's open descriptors, the tunnel started in a mount namespace of its own (so
# /dev/net can be hidden from it alone), and commands run under a tight ulimit with a timeout.
#
# Every process a fault test starts is checked the same way when it ends: an exit status that is
# no signal (no crash) and no timeout (no hang), and, under ASan, no AddressSanitizer,
# LeakSanitizer or UndefinedBehaviorSanitizer report on its stderr.

# The ASan+UBSan build (-DTK_SANITIZE=ON): read from the build's cache, else from the binary.
FAULT_ASAN=0
if grep -qs '^TK_SANITIZE:BOOL=ON' "$TK_BUILD_DIR/CMakeCache.txt" || grep -qa __asan_init "$TAPKIT" 2>/dev/null; then
	FAULT_ASAN=1
	# `make test-asan` sets these; a bare `ctest -R` does not. Leak checking is the point here:
	# it is forced on whatever the caller set.
	export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1}:detect_leaks=1"
	export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
fi

# fault_sanitizers_quiet WHAT: TK_ERR (a finished command's stderr) has no sanitizer report.
fault_sanitizers_quiet()
{
	if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|LeakSanitizer has encountered|SUMMARY: (Address|Leak|UndefinedBehavior)Sanitizer|runtime error: ' <<<"$TK_ERR"; then
		tk_fail "$1: expected no sanitizer report, got: $(grep -m 3 -E 'Sanitizer|runtime error' <<<"$TK_ERR" | tr '\n' ' ')"
	fi
}

# fault_no_crash WHAT: the last command ended by itself: no signal, no timeout(1), no sanitizer.
fault_no_crash()
{
	if [[ $TK_RC -eq 124 ]]; then
		tk_fail "$1: expected it to finish, it hung (killed by timeout, exit 124)"
	fi
	if [[ $TK_RC -ge 128 ]]; then
		tk_fail "$1: expected a normal exit, got exit $TK_RC (signal $((TK_RC - 128)): a crash)"
	fi
	fault_sanitizers_quiet "$1"
}

# fault_stop PID WHAT: SIGTERM; the process must exit 0 within 10 s with no sanitizer report
# (LeakSanitizer runs at exit, so this is where a leak shows).
fault_stop()
{
	tk_stop "$1" 10
	fault_no_crash "$2"
	expect_rc 0
}

# fault_alive PID WHAT: still running (not crashed, not exited).
fault_alive()
{
	kill -0 "$1" 2>/dev/null && return 0
	TK_OUT=$(tk_bg_out "$1") TK_ERR=$(tk_bg_err "$1") TK_LAST_CMD="background pid $1"
	tk_fail "$2: expected pid $1 to be running, it has exited"
}

# fault_fds PID: how many descriptors the process has open.
fault_fds()
{
	find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l
}

# fault_fd_list PID: what each descriptor is ("3=anon_inode:[eventpoll] ..."), for failures.
fault_fd_list()
{
	local f out=()
	for f in "/proc/$1/fd/"*; do
		out+=("${f##*/}=$(readlink "$f" 2>/dev/null)")
	done
	printf '%s ' "${out[@]}"
}

# fault_fds_back PID WANT WHAT: the descriptor count is WANT again (bounded wait: a reopen may
# still be in progress).
fault_fds_back()
{
	local i n
	for ((i = 0; i < 40; i++)); do
		n=$(fault_fds "$1")
		[[ $n -eq $2 ]] && return 0
		sleep 0.05
	done
	tk_fail "$3: expected pid $1 to hold $2 descriptors as before the fault, it holds $n: $(fault_fd_list "$1")"
}

# fault_wait_json PID NS SOCK EXPR WANT SECONDS WHAT: polls the tunnel's status until the Python
# expression EXPR over it prints WANT; on a timeout the failure shows the tunnel's log.
fault_wait_json()
{
	local pid=$1 ns=$2 sock=$3 expr=$4 want=$5 secs=$6 i got
	for ((i = 0; i < secs * 10; i++)); do
		got=$(tun_json "$ns" "$sock" "$expr")
		[[ $got == "$want" ]] && return 0
		sleep 0.1
	done
	TK_OUT="" TK_ERR=$(tk_bg_err "$pid") TK_LAST_CMD="background pid $pid (its log below)"
	tk_fail "$7: expected $expr == $want within ${secs}s, got $got"
}

# fault_log_has PID REGEX WHAT: the background command's stderr (its log) has a matching line.
fault_log_has()
{
	local i
	for ((i = 0; i < 100; i++)); do
		grep -Eq -- "$2" "$TK_TMP/$1.err" 2>/dev/null && return 0
		sleep 0.05
	done
	TK_OUT="" TK_ERR=$(tk_bg_err "$1") TK_LAST_CMD="background pid $1"
	tk_fail "$3: expected a log line matching /$2/ from pid $1"
}

# fault_log_count PID REGEX N SECONDS WHAT: waits until at least N log lines match.
fault_log_count()
{
	local i n=0
	for ((i = 0; i < $4 * 20; i++)); do
		n=$(grep -Ec -- "$2" "$TK_TMP/$1.err" 2>/dev/null) || true
		((n >= $3)) && return 0
		sleep 0.05
	done
	TK_OUT="" TK_ERR=$(tk_bg_err "$1") TK_LAST_CMD="background pid $1"
	tk_fail "$5: expected at least $3 log lines matching /$2/ within $4 s, got $n"
}

# fault_tun_start NS ARGS...: like tun_start, but the tunnel runs in a private mount namespace of
# its own (unshare -m with private propagation: `unshare` execs, so TK_PID is the tunnel), where
# fault_hide_tun / fault_show_tun can take /dev/net away from it and give it back. Nothing mounted
# there is seen by the host or by other processes.
fault_tun_start()
{
	local ns=$1
	shift
	tk_spawn "$ns" unshare -m --propagation private "$TAPKIT" --log-level info tunnel run "$@"
	tk_wait_line "$TK_PID" '^tunnel .* running' 15
}

# fault_hide_tun PID: an empty tmpfs over /dev/net in PID's mount namespace only.
fault_hide_tun()
{
	tk_pretty "mnt ns of $1" mount -t tmpfs tkfault /dev/net
	nsenter -t "$1" -m mount -t tmpfs -o mode=0755 tkfault /dev/net ||
		tk_fail "set-up: cannot mount a tmpfs over /dev/net in the mount namespace of pid $1"
	nsenter -t "$1" -m test ! -e /dev/net/tun || tk_fail "set-up: /dev/net/tun is still visible to pid $1"
	[[ -c /dev/net/tun ]] || tk_fail "set-up: the host's /dev/net/tun vanished (the mount leaked)"
}

# fault_show_tun PID: removes that tmpfs again.
fault_show_tun()
{
	tk_pretty "mnt ns of $1" umount /dev/net
	nsenter -t "$1" -m umount /dev/net || tk_fail "set-up: cannot unmount /dev/net in pid $1's namespace"
	nsenter -t "$1" -m test -c /dev/net/tun || tk_fail "set-up: /dev/net/tun is not back for pid $1"
}

# Shell code that closes every descriptor above stderr, so that a limit measures what the program
# needs and not what the test runner (ctest, the terminal) happened to leave open.
# shellcheck disable=SC2016
# (No redirection on the loop: bash would keep it for good after an exec inside.)
FAULT_CLOSE_FDS='for f in /proc/$$/fd/*; do n=${f##*/}; if [ "$n" -gt 2 ] && [ -e "$f" ]; then eval "exec $n>&-"; fi; done; '

# fault_limited NS LIMIT SECONDS ARGS...: the CLI with `ulimit LIMIT` (e.g. "-n 5", "-v 4000")
# inside NS, under `timeout SECONDS`; results in TK_RC/TK_OUT/TK_ERR as with tk.
fault_limited()
{
	local ns=$1 limit=$2 secs=$3
	shift 3
	# shellcheck disable=SC2016
	TK_SHOW="(ulimit $limit) tapkit $*" tk_exec "$ns" bash -c "$FAULT_CLOSE_FDS"'ulimit '"$limit"' && exec timeout "$@"' fault-limited "$secs" "$TAPKIT" "$@"
}

# fault_loader_failed: the dynamic loader itself could not start the program under the limit
# (not tapkit's code: no tapkit instruction ran).
fault_loader_failed()
{
	[[ $TK_RC -eq 127 ]] && grep -q 'error while loading shared libraries' <<<"$TK_ERR"
}

# fault_udp_hold NS ADDR PORT FAMILY: a python3 process that binds UDP ADDR:PORT (FAMILY 4 or 6;
# "::" is dual stack) and holds it until killed; TK_PID is its pid. Waits until it is bound.
fault_udp_hold()
{
	local ns=$1 addr=$2 port=$3 fam=$4
	tk_spawn "$ns" python3 -c '
import socket, sys, time
fam = socket.AF_INET6 if sys.argv[3] == "6" else socket.AF_INET
s = socket.socket(fam, socket.SOCK_DGRAM)
if fam == socket.AF_INET6:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind((sys.argv[1], int(sys.argv[2])))
print("bound", flush=True)
time.sleep(120)
' "$addr" "$port" "$fam"
	tk_wait_line "$TK_PID" '^bound$' 10
}

# fault_udp_bound NS PORT: whether anything in NS has UDP PORT bound.
fault_udp_bound()
{
	ip netns exec "$1" ss -Hunl "sport = :$2" | grep -q .
}
