#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Go binding's Tunnel on Windows (plain mode) against a real Linux tunnel, under Wine with
# the emulated tap0901 driver, whose adapters "emu one" and "emu two" are cross-connected:
#
#   namespace L                          namespace W (Wine runs here)
#   tapL 192.168.77.1 -- tapkit tunnel  ==veth 10.77.0.2/.1==>  Go Tunnel on "emu one"
#                                                                 | (emulated cross-connect)
#                                                               the Go test on "emu two"
#
# The Go test binary (bindings/go/tunnel_windows_test.go) writes an ARP request and a ping for
# 192.168.77.1 into "emu two"; they leave through its Tunnel, L's kernel answers on its TAP and
# the answers come back. It checks Dispatch's timeout with Stats served meanwhile, Stats and
# Reload during Run, a Dispatch loop forwarding an ARP exchange, a cancelled Run, Close from another goroutine ending Run (nil), and typed
# errors (ErrConfig, ErrAdapterNotFound, ErrAdapterBusy with Win32 code 31). Here: its counters
# match the Linux tunnel's (what one sent the other received). Needs root (namespaces, TAPs).
# shellcheck source=tests/windows/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/windows/tunnel_lib.sh
source "$(dirname "$0")/tunnel_lib.sh"
name=$(basename "$0")
wtun_require ip
root=$(cd "$(dirname "$0")/../.." && pwd)
rc=0
bash "$root/bindings/go/build-windows.sh" "$TK_BUILD_WIN" >/dev/null || rc=$?
if ((rc == 77)); then
	echo "$name: SKIP (no Go toolchain: apt-get install golang-go)"
	exit 0
fi
((rc == 0)) || { echo "$name: cannot cross-compile the Go binding"; exit 1; }
emu_build
GO_TEST=$TK_BUILD_WIN/go/tapkit-go.test.exe

NL=tkgl$$
NW=tkgw$$
TAPL=tapg$$
tmp=$(mktemp -d /tmp/tk-wgo.XXXXXX)
lpid=
cleanup() {
	[[ -n $lpid ]] && kill "$lpid" 2>/dev/null
	wine_end
	netns_pair_end "$NL" "$NW"
	rm -rf "$tmp"
}
trap cleanup EXIT
netns_pair "$NL" "$NW" 10.77.0.2 10.77.0.1
# no IPv6 in L: its TAP sends only the answers to the test's frames, so the counters add up
ip netns exec "$NL" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
wine_in_netns "$NW" "$out_dir"

cat >"$tmp/l.conf" <<CONF
[Interface]
Name = $TAPL
Mode = plain
ListenAddress = 10.77.0.2:4789
Address = 192.168.77.1/24
MTU = 1400

[Peer]
Endpoint = 10.77.0.1:4789
CONF
ip netns exec "$NL" "$TAPKIT_LINUX" tunnel run --config "$tmp/l.conf" >"$tmp/l.log" 2>&1 &
lpid=$!
check "the Linux tunnel runs in L" wait_log "$tmp/l.log" running
# the test's address is known to L: it asks no ARP of its own (which could come after the Go
# tunnel's last counters)
ip -n "$NL" neigh replace 192.168.77.2 lladdr 02:00:5e:00:53:99 dev "$TAPL" nud permanent

log=$tmp/go.log
grc=0
ip netns exec "$NW" env TAPKIT_GO_EMU=1 \
	TAPKIT_GO_TUNNEL="10.77.0.1:4789 10.77.0.2:4789 192.168.77.1 192.168.77.2" \
	timeout 300 wine "$GO_TEST" -test.run '^TestWinTunnel' -test.v -test.count=1 >"$log" 2>&1 || grc=$?
for t in TestWinTunnelErrors TestWinTunnel; do
	check "go test under Wine: $t" grep -q -- "^--- PASS: $t " "$log"
done
check "go test under Wine: the binary exits 0 (PASS)" test "$grc" -eq 0
grep -E 'tunnel_windows_test.go:[0-9]+: ' "$log" | sed 's/^ */  /'

# What the Go tunnel sent L received, and the other way round.
out=$(ip netns exec "$NL" "$TAPKIT_LINUX" tunnel status --dev "$TAPL" --json 2>"$tmp/st.err") && rc=0 || rc=$?
errout=$(<"$tmp/st.err")
stats=$(grep -o 'stats: peers=[0-9]* tx_frames=[0-9]* rx_frames=[0-9]*' "$log" || true)
gtx=$(sed -n 's/.*tx_frames=\([0-9]*\).*/\1/p' <<<"$stats")
grx=$(sed -n 's/.*rx_frames=\([0-9]*\).*/\1/p' <<<"$stats")
expect "the Go tunnel's counters match the Linux tunnel's (Go: tx ${gtx:-?} rx ${grx:-?})" \
	"'${gtx:-x}'.isdigit() and int('$gtx') >= 2 and d['tunnel']['peers'][0]['rx_frames'] == int('$gtx') and d['tunnel']['peers'][0]['tx_frames'] == int('${grx:-x}')"
if ((failures)); then
	cat "$log"
	echo "--- l.log"
	tail -20 "$tmp/l.log"
fi
finish
