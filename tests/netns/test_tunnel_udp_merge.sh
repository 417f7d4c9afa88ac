#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The datagrams of one UDP flow are written to the adapter merged (UDP GSO, Linux 6.2+): every
# datagram still reaches the application once and intact, whatever its size, in plain and
# sealed mode, and the adapter took fewer writes than datagrams (on an older kernel: as many).
# The other way too: an application that sends with UDP_SEGMENT (QUIC stacks, wireguard-go)
# hands the tunnel whole GSO datagrams through the adapter (TUN_F_USO4/6, 6.2+), which the
# tunnel splits: fewer adapter reads than datagrams, every datagram intact on the other side.
#
#   +---------- $NA ----------+   veth 10.99.0.0/24   +---------- $NB ----------+
#   | tka 10.250.9.1/24        |<==== UDP 4789 =====>| tkb 10.250.9.2/24        |
#   | receiver :7000           |                      | sender: bursts of 64     |
#   +-------------------------+                      +-------------------------+

# shellcheck source=tests/netns/lib.sh
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/netns/tunnel_lib.sh
source "$(dirname "$0")/tunnel_lib.sh"
tk_require
tk_ns_new NA tua
tk_ns_new NB tub
tun_quiet "$NA"
tun_quiet "$NB"
tun_veth "$NA" 10.99.0.1 "$NB" 10.99.0.2
SA=$TK_TMP/a.sock
SB=$TK_TMP/b.sock
COUNT=2000

# The kernel takes UDP GSO frames on a TAP from 6.2 (src/tunnel/adapter.c, kernel_takes_uso).
IFS=. read -r KMAJ KMIN _ <<<"$(uname -r)"
USO=0
((KMAJ > 6 || (KMAJ == 6 && KMIN >= 2))) && USO=1

# The receiver: COUNT datagrams on 10.250.9.1:7000, each "index:size:" then a pattern of its
# index up to its size; prints "ok N" when all arrived once and intact, or what went wrong.
cat >"$TK_TMP/recv.py" <<'EOF'
import socket, sys
count = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
s.bind(("10.250.9.1", 7000))
print("ready", flush=True)
s.settimeout(5)
seen = set()
try:
    while len(seen) < count:
        d = s.recv(70000)
        i, size, _ = d.split(b":", 2)
        i, size = int(i), int(size)
        head = b"%d:%d:" % (i, size)
        want = head + bytes((i + k) & 0xff for k in range(size - len(head)))
        if d != want:
            print("datagram %d damaged: %d bytes, %d expected" % (i, len(d), size), flush=True)
            sys.exit(1)
        if i in seen:
            print("datagram %d twice" % i, flush=True)
            sys.exit(1)
        seen.add(i)
except socket.timeout:
    print("only %d of %d datagrams arrived; missing from %d" % (len(seen), count, min(set(range(count)) - seen)), flush=True)
    sys.exit(1)
print("ok %d" % len(seen), flush=True)
EOF
# The sender: bursts of 64 datagrams of one size (runs the tunnel can merge), the size changing
# every burst (200, 1000, 1400, 17; 1400 is fragmented in sealed mode, whose MTU is smaller, and
# fragments never merge), a pause after each burst so that no
# queue overflows on a loaded machine.
cat >"$TK_TMP/send.py" <<'EOF'
import socket, sys, time
count = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("10.250.9.1", 7000))
sizes = [200, 1000, 1400, 17]
for i in range(count):
    size = sizes[(i // 64) % len(sizes)]
    head = b"%d:%d:" % (i, size)
    size = max(size, len(head))
    head = b"%d:%d:" % (i, size)
    s.send(head + bytes((i + k) & 0xff for k in range(size - len(head))))
    if i % 64 == 63:
        time.sleep(0.01)
EOF

# The GSO sender: SENDS sends of SEGS datagrams with UDP_SEGMENT (GSO_SIZE bytes each, the
# last of a send 333 bytes: the short tail a split must keep), numbered like send.py's so that
# recv.py checks them; a pause after each send.
GSO_SIZE=1000
SEGS=41
SENDS=50
cat >"$TK_TMP/send_gso.py" <<'EOF'
import socket, sys, time
sends, segs, gso = map(int, sys.argv[1:4])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("10.250.9.1", 7000))
s.setsockopt(socket.IPPROTO_UDP, 103, gso)  # UDP_SEGMENT
i = 0
for _ in range(sends):
    buf = b""
    for k in range(segs):
        size = gso if k < segs - 1 else 333
        head = b"%d:%d:" % (i, size)
        buf += head + bytes((i + j) & 0xff for j in range(size - len(head)))
        i += 1
    s.send(buf)
    time.sleep(0.01)
EOF

# gso_case MODE: SENDS x SEGS datagrams sent with UDP_SEGMENT from B to A; all must arrive
# intact, and B's tunnel must have read them from its adapter as fewer frames than datagrams.
gso_case()
{
	local tx0 tx1 reads n=$((SENDS * SEGS))
	tun_ping "$NB" 10.250.9.1
	tx0=$(ns_sysfs "$NB" tkb statistics/tx_packets)
	tk_spawn "$NA" timeout 60 python3 "$TK_TMP/recv.py" "$n"
	local recv=$TK_PID
	tk_wait_line "$recv" '^ready$' 10
	ip netns exec "$NB" timeout 60 python3 "$TK_TMP/send_gso.py" "$SENDS" "$SEGS" "$GSO_SIZE" ||
		tk_fail "$1: the UDP_SEGMENT sender failed"
	tk_wait_exit "$recv" 30
	[[ $TK_RC -eq 0 ]] || tk_fail "$1: UDP_SEGMENT datagrams: $(tk_bg_out "$recv" | tail -n 1)"
	tx1=$(ns_sysfs "$NB" tkb statistics/tx_packets)
	reads=$((tx1 - tx0))
	tk_log "$1: $n datagrams sent with UDP_SEGMENT arrived intact; the sending tunnel read $reads frames from its adapter"
	if ((USO)); then
		((reads < n)) || tk_fail "$1: the sending tunnel read $reads frames for $n datagrams: no UDP GSO frame came from the adapter (TUN_F_USO4/6)"
	else
		((reads >= n)) || tk_fail "$1: $reads adapter reads for $n datagrams on a kernel without USO on a TAP"
	fi
}

# run_case MODE: COUNT datagrams from B to A through the tunnel; all must arrive intact
run_case()
{
	local rx0 rx1 acc0 acc1 writes frames
	ip netns exec "$NA" ip neigh replace 10.250.9.2 lladdr "$(ns_sysfs "$NB" tkb address)" dev tka nud permanent
	ip netns exec "$NB" ip neigh replace 10.250.9.1 lladdr "$(ns_sysfs "$NA" tka address)" dev tkb nud permanent
	tun_ping "$NB" 10.250.9.1
	tun_tap_mark "$NA" tka "$SA"
	rx0=$TUN_RX0
	acc0=$TUN_ACC0
	tk_spawn "$NA" timeout 60 python3 "$TK_TMP/recv.py" "$COUNT"
	local recv=$TK_PID
	tk_wait_line "$recv" '^ready$' 10
	ip netns exec "$NB" timeout 60 python3 "$TK_TMP/send.py" "$COUNT" || tk_fail "$1: the sender failed"
	tk_wait_exit "$recv" 30
	[[ $TK_RC -eq 0 ]] || tk_fail "$1: $(tk_bg_out "$recv" | tail -n 1)"
	rx1=$(ns_sysfs "$NA" tka statistics/rx_packets)
	acc1=$(tun_json "$NA" "$SA" 'sum(p["rx_frames"] for p in d["tunnel"]["peers"])')
	writes=$((rx1 - rx0))
	frames=$((acc1 - acc0))
	tk_log "$1: $COUNT datagrams arrived intact; the tunnel took $frames frames, wrote $writes to its adapter"
	((frames >= COUNT)) || tk_fail "$1: the tunnel counted $frames frames for $COUNT datagrams"
	if ((USO)); then
		((writes < frames)) || tk_fail "$1: $writes adapter writes for $frames frames: nothing merged"
	else
		((writes == frames)) || tk_fail "$1: $writes adapter writes for $frames frames (no UDP GSO before Linux 6.2)"
	fi
}

tk_case "plain: a UDP flow reaches the application whole, merged on the way; a UDP_SEGMENT sender's datagrams split on the way"
tun_start "$NA" --dev tka --listen 10.99.0.1:4789 --peer 10.99.0.2:4789 --addr 10.250.9.1/24 --control "$SA"
PA=$TK_PID
tun_start "$NB" --dev tkb --listen 10.99.0.2:4789 --peer 10.99.0.1:4789 --addr 10.250.9.2/24 --control "$SB"
PB=$TK_PID
run_case plain
gso_case plain
tk_stop "$PA"
tk_stop "$PB"

tk_case "sealed: the same"
tun_keys a b
tun_start "$NA" --dev tka --mode sealed --key "$TK_TMP/a.key" --peer-key "$(cat "$TK_TMP/b.pub")" \
	--listen 10.99.0.1:4789 --peer 10.99.0.2:4789 --addr 10.250.9.1/24 --control "$SA"
PA=$TK_PID
tun_start "$NB" --dev tkb --mode sealed --key "$TK_TMP/b.key" --peer-key "$(cat "$TK_TMP/a.pub")" \
	--listen 10.99.0.2:4789 --peer 10.99.0.1:4789 --addr 10.250.9.2/24 --control "$SB"
PB=$TK_PID
run_case sealed
gso_case sealed
tk_stop "$PA"
tk_stop "$PB"
