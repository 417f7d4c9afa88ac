#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The benchmark (bench/run.sh) still runs: a short partial run of the kernel vxlan, the
# reference relay, tapkit plain and the kernel vxlan over wireguard-go (1 s of iperf3, of
# 64-byte UDP and of UDP GSO, 20 pings) must give figures for each (TCP, ping, packets per
# second, UDP GSO Gbit/s; the wireguard-go row is skipped with its reason when wireguard-go or
# wg is missing), the CPU model line, the targets as MET/MISSED and the LIMIT lines with
# numbers, its dated result file and the SVG chart next to it (not latest.md: a partial run),
# and leave no namespace, process or wireguard-go socket behind. The figures themselves are not judged (that is what `make bench`
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

WG=1
if ! command -v wireguard-go >/dev/null || ! command -v wg >/dev/null; then
	WG=0
	tk_log "wireguard-go or wg is not installed: the wireguard-go row is expected n/a with that reason (apt-get install -y wireguard-go wireguard-tools)"
fi

tk_case "a partial run: vxlan, relay, tapkit plain and vxlan over wireguard-go each get figures, the CPU model line, MET/MISSED targets and the LIMIT lines numbers"
TK_LAST_CMD="bench/run.sh (BENCH_ONLY='vxlan relay tk-plain wg-vxlan')"
# `|| rc=$?`: under set -e a bare `rc=$?` after a failing command is never reached. The inner
# bash writes its pid and execs bench/run.sh, whose namespaces are named after it (tkb<pid>a/b):
# the check below then looks at this run's only, not at another one running in parallel.
rc=0
# shellcheck disable=SC2016 # $$ and $1 are the inner bash's
BENCH_ONLY="vxlan relay tk-plain wg-vxlan" BENCH_SECONDS=1 BENCH_UDP_SECONDS=1 BENCH_PINGS=20 BENCH_CALLGRIND=0 \
	BENCH_README=0 BENCH_RESULTS=$RES BENCH_MAX_SECONDS=150 \
	timeout 200 bash -c 'echo $$ >"$1" && exec bash "$2"' bench "$TK_TMP/bench.pid" \
	"$TK_SOURCE_DIR/bench/run.sh" >"$OUT" 2>&1 || rc=$?
bench_pid=$(cat "$TK_TMP/bench.pid")
[[ $rc == 0 ]] || tk_fail "expected bench/run.sh to exit 0, got $rc: $(tail -n 15 "$OUT")"
python3 - "$OUT" "$WG" <<'EOF' || tk_fail "the benchmark's output is not what was expected (above); whole output: $(cat "$OUT")"
import re, sys
text = open(sys.argv[1]).read()
bad = []
labels = ["kernel vxlan", "reference relay (floor)", "tapkit plain"]
if sys.argv[2] == "1":
    labels.append("kernel vxlan over wireguard-go")
elif not re.search(r"^kernel vxlan over wireguard-go: n/a: wireguard-go or wg is not installed", text, re.M):
    bad.append("expected the wireguard-go row n/a with its reason (not installed)")
for label in labels:
    row = next((l for l in text.splitlines() if l.startswith(label + " ")), None)
    if row is None:
        bad.append("no table row for %r" % label)
        continue
    cells = re.split(r"\s{2,}", row.strip())
    # setup, TCP 1 stream, TCP 4 streams, ping median, ping p99, UDP 64 B kpps, UDP GSO Gbit/s, ...
    for name, i in (("TCP 1 stream", 1), ("ping median", 3), ("UDP 64 B kpps", 5), ("UDP GSO Gbit/s", 6)):
        try:
            if float(cells[i]) <= 0:
                bad.append("%s: %s is %s, expected > 0" % (label, name, cells[i]))
        except (IndexError, ValueError):
            bad.append("%s: %s is %r, expected a number (row: %s)" % (label, name, cells[i:i + 1], row))
for pat in (r"^CPU model: \S.*; \d+ CPUs online; flags: ",
            r"^LIMIT reference relay .*= -?\d+ us \(the floor",
            r"^LIMIT tapkit plain if its own code cost nothing: CPU [\d.]+ - tunnel user [\d.]+ = [\d.]+ s/GB.* = [\d.]+ of kernel vxlan",
            r"^LIMIT tapkit plain 64-byte UDP if its own code cost nothing: .* at most \d+ kpps = [\d.]+ of kernel vxlan",
            r"^(MET|MISSED) +tapkit plain >= 0\.85 of its LIMIT ceiling .*: [\d.]+ / [\d.]+ Gbit/s",
            r"^(MET|MISSED) +tapkit plain median RTT <= reference relay \+ 20 us: \d+ - \d+ us",
            r"^(MET|MISSED) +tapkit plain 64-byte UDP >= 0\.5 of kernel vxlan .*: \d+ / \d+ kpps",
            r"^N/A +tapkit sealed >= 0\.85 of its LIMIT ceiling",
            r"^(MET|MISSED) +tapkit plain's own code <= 15% of the tunnel's CPU per GB: tunnel user [\d.]+ / tunnel CPU [\d.]+ s/GB",
            r"^LIMIT one TCP stream kept the \d+ CPUs busy .*: kernel vxlan [\d.]+, tapkit plain [\d.]+,",
            r"^LIMIT the busier tapkit end during the 1-stream test used [\d.]+ \(plain\) and n/a \(sealed\) of one CPU",
            r"^RATIO tapkit sealed with 4 TCP streams / its LIMIT ceiling: n/a / n/a Gbit/s = n/a",
            r"^RATIO a UDP_SEGMENT sender .*: tapkit plain / kernel vxlan [\d.]+ / [\d.]+ Gbit/s = [\d.]+;"):
    if not re.search(pat, text, re.M):
        bad.append("no line matching %r" % pat)
for b in bad:
    print("bench smoke: " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF

tk_case "the dated result file and its SVG chart are written, latest.md and latest.svg are not (a partial run)"
shopt -s nullglob
files=("$RES"/*.md)
svgs=("$RES"/*.svg)
shopt -u nullglob
[[ ${#files[@]} == 1 ]] || tk_fail "expected one result file in $RES, got: ${files[*]:-none}"
[[ ${files[0]} != */latest.md ]] || tk_fail "a partial run wrote latest.md"
grep -q '^| reference relay (floor) |' "${files[0]}" || tk_fail "expected the relay row in ${files[0]}: $(cat "${files[0]}")"
grep -q '^CPU model: ' "${files[0]}" || tk_fail "expected the 'CPU model:' line in ${files[0]}: $(head -n 5 "${files[0]}")"
[[ ${#svgs[@]} == 1 && ${svgs[0]} == "${files[0]%.md}.svg" ]] ||
	tk_fail "expected one chart ${files[0]%.md}.svg next to the table, got: ${svgs[*]:-none}"
grep -qF "($(basename "${svgs[0]}"))" "${files[0]}" || tk_fail "expected ${files[0]} to show its chart $(basename "${svgs[0]}")"
# a well-formed SVG with a bar (rect) per figure of the rows that have them: 3 panels x 3 or 4 rows
python3 - "${svgs[0]}" "$((WG ? 12 : 9))" <<'EOF' || tk_fail "the chart ${svgs[0]} is not what was expected (above)"
import sys
import xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = "{http://www.w3.org/2000/svg}"
bars = [r for r in root.iter(ns + "rect") if r.get("width") != "100%"]
texts = [t.text for t in root.iter(ns + "text")]
bad = []
if root.tag != ns + "svg":
    bad.append("root element is %s, expected svg" % root.tag)
if len(bars) != int(sys.argv[2]):
    bad.append("expected %s bars, got %d" % (sys.argv[2], len(bars)))
for label in ("kernel vxlan", "tapkit plain", "reference relay (floor)"):
    if label not in texts:
        bad.append("no label %r" % label)
if not any(t and " CPUs, kernel " in t for t in texts):
    bad.append("no CPU model in the chart's subtitle")
for b in bad:
    print("bench smoke chart: " + b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF

tk_case "nothing left behind: no tkb namespace, no relay or iperf3 from the run"
left=$(ip netns list | awk -v a="tkb${bench_pid}a" -v b="tkb${bench_pid}b" '$1 == a || $1 == b {print $1}')
[[ -z $left ]] || tk_fail "expected the benchmark's namespaces removed, found: $left"
if pgrep -f "$TK_BUILD_DIR/bench_relay" >/dev/null; then
	tk_fail "a bench_relay process outlived the run: $(pgrep -af bench_relay)"
fi
if pgrep -f "wireguard-go tkbw${bench_pid}[ab]" >/dev/null; then
	tk_fail "a wireguard-go of the run outlived it: $(pgrep -af "wireguard-go tkbw${bench_pid}")"
fi
for s in "/var/run/wireguard/tkbw${bench_pid}a.sock" "/var/run/wireguard/tkbw${bench_pid}b.sock"; do
	[[ ! -e $s ]] || tk_fail "wireguard-go's socket $s outlived the run"
done
