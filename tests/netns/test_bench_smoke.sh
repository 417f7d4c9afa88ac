#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The benchmark (bench/run.sh) still runs: a short partial run of the kernel vxlan, the
# reference relay and tapkit plain (1 s of iperf3, 20 pings) must give figures for each, the
# LIMIT lines with numbers, its dated result file (not latest.md: a partial run), and leave no
# namespace or process behind. The figures themselves are not judged (that is what `make bench`
# is for); that they are there is. Without this, nothing would notice the benchmark rotting.
#
# bench/run.sh makes and removes its own two namespaces (tkb<pid>a/b) joined by a veth pair.

# shellcheck source=tests/netns/lib.sh
source "$(dirname "$0")/lib.sh"
tk_require
command -v iperf3 >/dev/null || tk_skip "needs iperf3 (./setup.sh test installs it)"
command -v ss >/dev/null || tk_skip "needs ss (iproute2)"

OUT=$TK_TMP/bench.out
RES=$TK_TMP/results

tk_case "a partial run: vxlan, relay and tapkit plain each get figures, and the LIMIT lines numbers"
TK_LAST_CMD="bench/run.sh (BENCH_ONLY='vxlan relay tk-plain')"
# `|| rc=$?`: under set -e a bare `rc=$?` after a failing command is never reached. The inner
# bash writes its pid and execs bench/run.sh, whose namespaces are named after it (tkb<pid>a/b):
# the check below then looks at this run's only, not at another one running in parallel.
rc=0
# shellcheck disable=SC2016 # $$ and $1 are the inner bash's
BENCH_ONLY="vxlan relay tk-plain" BENCH_SECONDS=1 BENCH_PINGS=20 BENCH_CALLGRIND=0 \
	BENCH_README=0 BENCH_RESULTS=$RES BENCH_MAX_SECONDS=150 \
	timeout 200 bash -c 'echo $$ >"$1" && exec bash "$2"' bench "$TK_TMP/bench.pid" \
	"$TK_SOURCE_DIR/bench/run.sh" >"$OUT" 2>&1 || rc=$?
bench_pid=$(cat "$TK_TMP/bench.pid")
[[ $rc == 0 ]] || tk_fail "expected bench/run.sh to exit 0, got $rc: $(tail -n 15 "$OUT")"
python3 - "$OUT" <<'EOF' || tk_fail "the benchmark's output is not what was expected (above); whole output: $(cat "$OUT")"
import re, sys
text = open(sys.argv[1]).read()
bad = []
for label in ("kernel vxlan", "reference relay (floor)", "tapkit plain"):
    row = next((l for l in text.splitlines() if l.startswith(label + " ")), None)
    if row is None:
        bad.append("no table row for %r" % label)
        continue
    cells = re.split(r"\s{2,}", row.strip())
    # setup, TCP 1 stream, TCP 4 streams, ping median, ping p99, ...
    for name, i in (("TCP 1 stream", 1), ("ping median", 3)):
        try:
            if float(cells[i]) <= 0:
                bad.append("%s: %s is %s, expected > 0" % (label, name, cells[i]))
        except (IndexError, ValueError):
            bad.append("%s: %s is %r, expected a number (row: %s)" % (label, name, cells[i:i + 1], row))
for pat in (r"^LIMIT reference relay .*= -?\d+ us \(the floor",
            r"^LIMIT tapkit plain if its own code cost nothing: CPU [\d.]+ - tunnel user [\d.]+ = [\d.]+ s/GB.* = [\d.]+ of kernel vxlan",
            r"^(PASS|MISS)  tapkit plain >= 60% of kernel vxlan"):
    if not re.search(pat, text, re.M):
        bad.append("no line matching %r" % pat)
for b in bad:
    print("bench smoke: " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF

tk_case "the dated result file is written, latest.md is not (a partial run)"
shopt -s nullglob
files=("$RES"/*.md)
shopt -u nullglob
[[ ${#files[@]} == 1 ]] || tk_fail "expected one result file in $RES, got: ${files[*]:-none}"
[[ ${files[0]} != */latest.md ]] || tk_fail "a partial run wrote latest.md"
grep -q '^| reference relay (floor) |' "${files[0]}" || tk_fail "expected the relay row in ${files[0]}: $(cat "${files[0]}")"

tk_case "nothing left behind: no tkb namespace, no relay or iperf3 from the run"
left=$(ip netns list | awk -v a="tkb${bench_pid}a" -v b="tkb${bench_pid}b" '$1 == a || $1 == b {print $1}')
[[ -z $left ]] || tk_fail "expected the benchmark's namespaces removed, found: $left"
if pgrep -f "$TK_BUILD_DIR/bench_relay" >/dev/null; then
	tk_fail "a bench_relay process outlived the run: $(pgrep -af bench_relay)"
fi
