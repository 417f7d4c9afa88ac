#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Sealed mode (v2, Noise_IKpsk2: docs/tunnel-crypto.md) on Windows: tapkit.exe tunnel (sealed)
# on "emu one" against a Linux tapkit tunnel (sealed), under Wine with the emulated tap0901
# driver, whose adapters "emu one" and "emu two" are cross-connected (the shape of issue 16):
#
#   namespace L                              namespace W (Wine runs here)
#   tapL 192.168.78.1 -- tapkit (sealed) ==veth 10.78.0.2/.1==> tapkit.exe (sealed) on "emu one"
#                                                                   | (emulated cross-connect)
#   tapW 192.168.78.2 -- tapkit (plain) <==loopback 4811/4810== tapkit.exe (plain) on "emu two"
#
# so ping and a bounded iperf3 between L's TAP and W's TAP cross the sealed Windows tunnel both
# ways. Also: the keys made by tapkit.exe genkey / pubkey (Linux's pubkey agrees), the key file's
# ACL check (a key Everyone may read is refused), status over the control pipe (handshakes,
# keepalives), a captured transport message replayed and garbage, both counted and dropped.
# Needs root (namespaces, TAPs) and a Windows build with sealed mode (scripts/mingw-deps.sh).
# shellcheck source=tests/windows/lib.sh disable=SC2016 # bash -c '...' "$0": expanded there
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/windows/tunnel_lib.sh
source "$(dirname "$0")/tunnel_lib.sh"
name=$(basename "$0")
wtun_require ip iperf3 python3
if ! grep -q '^TK_WIN_SEALED:.*=ON' "$TK_BUILD_WIN/CMakeCache.txt" 2>/dev/null; then
	echo "SKIP $name: $TK_BUILD_WIN has no sealed mode (built without libsodium/OpenSSL: run scripts/mingw-deps.sh, then make windows)"
	exit 0
fi
TUNNEL_SEND=$(cd "$(dirname "$0")/../netns" && pwd)/tunnel_send.py
emu_build

NL=tksl$$
NW=tksw$$
tmp=$(mktemp -d /tmp/tk-wsealed.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wine_end
	netns_pair_end "$NL" "$NW"
	rm -rf "$tmp"
}
trap cleanup EXIT
netns_pair "$NL" "$NW" 10.78.0.2 10.78.0.1
L() { ip netns exec "$NL" "$@"; }
wine_in_netns "$NW" "$out_dir"

# ---- keys: Windows's genkey and pubkey, checked against Linux's pubkey ----
W timeout 60 wine "$TAPKIT_EXE" genkey >"$tmp/w.key" 2>"$tmp/genkey.err" && rc=0 || rc=$?
errout=$(<"$tmp/genkey.err")
check "tapkit.exe genkey prints a private key (rc=$rc)" grep -qE '^[A-Za-z0-9+/]{43}=' "$tmp/w.key"
W timeout 60 wine "$TAPKIT_EXE" pubkey <"$tmp/w.key" >"$tmp/w.pub" 2>"$tmp/pubkey.err" && rc=0 || rc=$?
errout=$(<"$tmp/pubkey.err")
tr -d '\r' <"$tmp/w.pub" >"$tmp/w.pub.lf"
check "tapkit.exe pubkey and Linux's tapkit pubkey agree on its public key" \
	bash -c '[[ -s $0 && "$(cat "$0")" == "$("$1" pubkey <"$2")" ]]' "$tmp/w.pub.lf" "$TAPKIT_LINUX" "$tmp/w.key"
(umask 077 && "$TAPKIT_LINUX" genkey >"$tmp/l.key")
"$TAPKIT_LINUX" pubkey <"$tmp/l.key" >"$tmp/l.pub"
chmod 600 "$tmp/w.key"

cat >"$tmp/l.conf" <<CONF
[Interface]
Name = tksl$$
Mode = sealed
ListenAddress = 10.78.0.2
ListenPort = 4789
PrivateKeyFile = $tmp/l.key
Address = 192.168.78.1/24
MTU = 1400

[Peer]
Endpoint = 10.78.0.1:4789
PublicKey = $(cat "$tmp/w.pub.lf")
PersistentKeepalive = 1
CONF
cat >"$tmp/w.conf" <<CONF
[Interface]
Name = tksw$$
Mode = plain
ListenAddress = 127.0.0.1
ListenPort = 4811
Address = 192.168.78.2/24
MTU = 1400

[Peer]
Endpoint = 127.0.0.1:4810
CONF
# Windows paths in the configuration: Z: is the Unix root in Wine. one_conf KEYFILE.
one_conf() {
	cat <<CONF
[Interface]
Name = emu one
Mode = sealed
ListenAddress = 10.78.0.1
ListenPort = 4789
PrivateKeyFile = $(winpath "$1")
MTU = 1400

[Peer]
Endpoint = 10.78.0.2:4789
PublicKey = $(cat "$tmp/l.pub")
PersistentKeepalive = 1
CONF
}
one_conf "$tmp/w.key" >"$tmp/one.conf"
cat >"$tmp/two.conf" <<'CONF'
[Interface]
Name = emu two
Mode = plain
ListenAddress = 127.0.0.1
ListenPort = 4810
MTU = 1400

[Peer]
Endpoint = 127.0.0.1:4811
CONF

# ---- the key file's ACL: a key that Everyone may read is refused, with the icacls fix ----
cp "$tmp/w.key" "$tmp/open.key"
chmod 644 "$tmp/open.key"
one_conf "$tmp/open.key" >"$tmp/open.conf"
wrun "$tmp/open.conf"
check "a key file Everyone may read is refused, with the icacls fix (rc=$rc)" \
	bash -c '[[ $0 -ne 0 ]] && grep -q "can be read by" <<<"$1" && grep -q icacls <<<"$1"' "$rc" "$out"
# ... and one owned by someone else: another Unix user's file is S-1-5-7 (ANONYMOUS LOGON) to Wine
chmod 600 "$tmp/open.key"
chown nobody "$tmp/open.key"
wrun "$tmp/open.conf"
check "a key file someone else owns is refused, with the icacls /setowner fix (rc=$rc)" \
	bash -c '[[ $0 -ne 0 ]] && grep -q "private key file .* is owned by S-1-5-7" <<<"$1" && grep -q "/setowner" <<<"$1"' "$rc" "$out"

L "$TAPKIT_LINUX" tunnel run --config "$tmp/l.conf" >"$tmp/l.log" 2>&1 &
pids+=($!)
W "$TAPKIT_LINUX" tunnel run --config "$tmp/w.conf" >"$tmp/w.log" 2>&1 &
pids+=($!)
W timeout 300 wine "$TAPKIT_EXE" tunnel run --config "$(winpath "$tmp/one.conf")" >"$tmp/win1.log" 2>&1 &
pids+=($!)
win1=$!
W timeout 300 wine "$TAPKIT_EXE" tunnel run --config "$(winpath "$tmp/two.conf")" >"$tmp/win2.log" 2>&1 &
pids+=($!)
for f in l w win1 win2; do
	check "tunnel $f is running" wait_log "$tmp/$f.log" running
done

ping_ok() { L ping -c 3 -W 2 -i 0.3 192.168.78.2 >"$tmp/ping.log" 2>&1; }
ok=1
for _ in $(seq 10); do ping_ok && { ok=0; break; }; sleep 1; done
check "ping from L's TAP to W's TAP crosses the sealed Windows tunnel" test $ok -eq 0
W ping -c 3 -W 2 -i 0.3 192.168.78.1 >"$tmp/ping2.log" 2>&1 && r=0 || r=$?
check "ping from W's TAP to L's TAP, the other way" test "$r" -eq 0

# iperf3 both ways, bounded in size (4 MB) and time (a 40 s timeout)
iperf() { # FROM_NS_FN SERVER_IP CLIENT_IP OUT
	local srv_fn
	srv_fn=$([[ $1 == L ]] && echo W || echo L)
	$srv_fn iperf3 -s -1 -B "$2" >/dev/null 2>&1 &
	pids+=($!)
	sleep 0.5
	$1 timeout 40 iperf3 -c "$2" -B "$3" -n 4M -J >"$4" 2>&1 || true
	python3 -c 'import json,sys; print(int(json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"]))' "$4" 2>/dev/null || echo 0
}
bps=$(iperf L 192.168.78.2 192.168.78.1 "$tmp/ip1.json")
check "iperf3 TCP L -> W through the sealed Windows tunnel ($((bps / 1000)) kbit/s under Wine)" test "$bps" -gt 0
bps=$(iperf W 192.168.78.1 192.168.78.2 "$tmp/ip2.json")
check "iperf3 TCP W -> L through the sealed Windows tunnel ($((bps / 1000)) kbit/s under Wine)" test "$bps" -gt 0

# status over the control pipe: the handshake and the keepalives
wst "emu one"
expect "status over the control pipe: emu one, sealed, a handshake done, frames both ways" \
	"d['tunnel']['mode'] == 'sealed' and d['tunnel']['peers'][0]['handshakes'] >= 1 and d['tunnel']['peers'][0]['tx_frames'] > 0 and d['tunnel']['peers'][0]['rx_frames'] > 0"
sleep 3 # PersistentKeepalive = 1 on both sides: each idle second brings a keepalive
wst "emu one"
expect "status counts the Linux peer's keepalives (keepalives_rx >= 1)" "d['tunnel']['peers'][0]['keepalives_rx'] >= 1"

# a transport message of L's, captured on W's veth and replayed: counted as a replay, dropped
L python3 "$TUNNEL_SEND" capture --iface "vl$$" --port 4789 --src 10.78.0.2 --out "$tmp/t.bin" --timeout 5 >"$tmp/cap.log" 2>&1 &
cap=$!
wait_log "$tmp/cap.log" ready || true
ping_ok || true
wait "$cap" && r=0 || r=$?
check "a datagram from L to W captured" test "$r" -eq 0 -a -s "$tmp/t.bin"
wst "emu one"
replay0=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["tunnel"]["drops"]["replay"])' "$out" 2>/dev/null || echo -1)
L python3 "$TUNNEL_SEND" send --to 10.78.0.1:4789 --file "$tmp/t.bin" --count 5 --bind 10.78.0.2 >/dev/null 2>&1 || true
sleep 1
wst "emu one"
expect "the replayed transport message is counted as replay 5 times (from $replay0) and dropped" \
	"d['tunnel']['drops']['replay'] == $replay0 + 5"

# garbage from the peer's address: counted, dropped, the session carries on
garbage=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1])["tunnel"]["drops"]; print(d["malformed"] + d["unknown_peer"] + d["bad_tag"])' "$out" 2>/dev/null || echo -1)
L python3 - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.78.0.2", 0))
for i in range(20):
    s.sendto(b"\x04\x00\x00\x00" + b"garbage %d" % i * 4, ("10.78.0.1", 4789))
PY
sleep 1
wst "emu one"
expect "20 garbage datagrams counted as dropped (malformed, unknown_peer or bad_tag; from $garbage)" \
	"d['tunnel']['drops']['malformed'] + d['tunnel']['drops']['unknown_peer'] + d['tunnel']['drops']['bad_tag'] == $garbage + 20"
ping_ok && r=0 || r=$?
check "the sealed tunnel carries on after the replay and the garbage" test "$r" -eq 0

# Ctrl-C (SIGINT to its Wine process: CTRL_C_EVENT) stops the sealed tunnel with exit 0
wpid=$(pgrep -f "tapkit.exe tunnel run --config .*one.conf" | grep -vx "$win1" | head -1 || true)
[[ -z $wpid ]] || kill -INT "$wpid" 2>/dev/null || true
for _ in $(seq 40); do kill -0 "$win1" 2>/dev/null || break; sleep 0.25; done
wait "$win1" && rc=0 || rc=$?
check "Ctrl-C stops the sealed tapkit.exe tunnel with exit 0 (rc=$rc)" test "$rc" -eq 0

if ((failures)); then
	for f in l w win1 win2; do echo "--- $f.log"; tail -20 "$tmp/$f.log"; done
fi
finish
