#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Windows tunnel's configuration file under Wine: watched (ReadDirectoryChangesW on its
# directory, the shared 250 ms quiet time) and reloaded without a restart, from a console and as
# a service; refused when Everyone may write it (its DACL) or someone else owns it; the service's
# log file; and the send path Wine leaves (no UDP segmentation offload: a WSASendTo per
# datagram) carrying the pings.
#
#   namespace L                      namespace W (Wine runs here)
#   tapL 192.168.77.1 -- tapkit  ==veth 10.77.0.2/.1==>  tapkit.exe on "emu one" (watched)
#                                                            | (emulated cross-connect)
#   tapW 192.168.77.2 -- tapkit  <==loopback 4801/4800== tapkit.exe on "emu two" (--no-watch)
#
# "emu one" starts with a peer nobody answers for, so no ping crosses until an edit of its file
# names L. Wine derives a file's DACL from its Unix mode (o+w: Everyone may write) and does not
# enforce it, so the refusal is the tunnel's own reading. Needs root (namespaces, TAPs).
# shellcheck source=tests/windows/lib.sh disable=SC2016 # bash -c '...' "$0": expanded there
source "$(dirname "$0")/lib.sh"
# shellcheck source=tests/windows/tunnel_lib.sh
source "$(dirname "$0")/tunnel_lib.sh"
wtun_begin x

# linux_conf NAME LISTEN PEER ADDR: a Linux plain tunnel's file
linux_conf() {
	printf '[Interface]\nName = %s\nMode = plain\nListenAddress = %s\nAddress = %s\nMTU = 1400\n\n[Peer]\nEndpoint = %s\n' \
		"$1" "$2" "$4" "$3"
}
# win_conf NAME LISTEN PEER...: a Windows plain tunnel's file
win_conf() {
	local p
	printf '[Interface]\nName = %s\nMode = plain\nListenAddress = %s\nMTU = 1400\n' "$1" "$2"
	shift 2
	for p in "$@"; do printf '\n[Peer]\nEndpoint = %s\n' "$p"; done
}
umask 022 # the files' modes are the test's: Wine derives their DACLs from them
mkdir "$tmp/etc" "$tmp/etc2"
linux_conf "tapl$$" 10.77.0.2:4789 10.77.0.1:4789 192.168.77.1/24 >"$tmp/l.conf"
linux_conf "tapw$$" 127.0.0.1:4801 127.0.0.1:4800 192.168.77.2/24 >"$tmp/w.conf"
ONE=$tmp/etc/one.conf
TWO=$tmp/etc2/two.conf
win_conf "emu one" 10.77.0.1:4789 10.77.0.9:4789 >"$ONE"
win_conf "emu two" 127.0.0.1:4800 127.0.0.1:4801 >"$TWO"

ip netns exec "$NL" "$TAPKIT_LINUX" tunnel run --config "$tmp/l.conf" >"$tmp/l.log" 2>&1 &
pids+=($!)
ip netns exec "$NW" "$TAPKIT_LINUX" tunnel run --config "$tmp/w.conf" >"$tmp/w.log" 2>&1 &
pids+=($!)
W timeout 600 wine "$TAPKIT_EXE" tunnel run --config "$(winpath "$ONE")" >"$tmp/win1.log" 2>&1 &
win1=$!
pids+=("$win1")
W timeout 600 wine "$TAPKIT_EXE" tunnel run --config "$(winpath "$TWO")" --no-watch >"$tmp/win2.log" 2>&1 &
win2=$!
pids+=("$win2")
for f in l w win1 win2; do
	check "tunnel $f is running" wait_log "$tmp/$f.log" running
done
# Wine has no UDP segmentation offload: the sends fall back to one WSASendTo per datagram, said
# once (the USO path itself needs Windows 10 2004 or later; docs/windows.md)
check "the send path is logged: one WSASendTo per datagram (Wine refuses UDP_SEND_MSG_SIZE)" \
	grep -q "UDP sends: one WSASendTo per datagram" "$tmp/win1.log"

ping_ok() { ip netns exec "$NL" ping -c 2 -W 1 -i 0.3 192.168.77.2 >/dev/null 2>&1; }
ping_until() { # up to 8 tries
	for _ in 1 2 3 4 5 6 7 8; do ping_ok && return 0; sleep 0.5; done
	return 1
}
# wst_until DEV EXPR [TRIES]: the status of DEV until EXPR holds over it (1 s apart)
wst_until() {
	local i
	for ((i = 0; i < ${3:-10}; i++)); do
		wst "$1"
		python3 -c 'import json,sys; d=json.loads(sys.argv[2]); sys.exit(0 if eval(sys.argv[1]) else 1)' "$2" "$out" 2>/dev/null && return 0
		sleep 1
	done
	return 0 # the expect that follows says what was seen
}

# ---- a console tunnel: the file watched ----
ping_ok && r=0 || r=1
check "before the edit: emu one's only peer is not L, no ping crosses" test "$r" -ne 0
wst "emu one"
expect "status: emu one's peer is 10.77.0.9:4789, nothing reloaded" \
	"[p['endpoint'] for p in d['tunnel']['peers']] == ['10.77.0.9:4789'] and d['tunnel']['reloads'] == 0"

# an editor's rename-replace, written from Linux into the directory Wine watches
win_conf "emu one" 10.77.0.1:4789 10.77.0.2:4789 >"$tmp/etc/.one.conf.swp"
mv "$tmp/etc/.one.conf.swp" "$ONE"
check "the rename-replace is seen: \"the configuration file changed\" logged with the file" \
	wait_log "$tmp/win1.log" "the configuration file changed: reading $(winpath "$ONE")"
wst_until "emu one" "d['tunnel']['reloads'] == 1"
expect "status without a restart: reloaded once, the peer is now L (10.77.0.2:4789)" \
	"d['tunnel']['reloads'] == 1 and [p['endpoint'] for p in d['tunnel']['peers']] == ['10.77.0.2:4789']"
ping_until && r=0 || r=1
check "ping from L's TAP now crosses the Windows tunnels" test "$r" -eq 0

# three writes in place within about 100 ms: one reload, after the last (a second peer added)
win_conf "emu one" 10.77.0.1:4789 10.77.0.2:4789 10.77.0.8:4789 >"$tmp/one.next"
for _ in 1 2 3; do cp "$tmp/one.next" "$ONE"; sleep 0.03; done
wst_until "emu one" "d['tunnel']['reloads'] == 2"
sleep 1.5 # six quiet times: a debounce that did not hold would reload again
wst "emu one"
expect "a burst of three writes is one reload (reloads 2), which added the second peer" \
	"d['tunnel']['reloads'] == 2 and len(d['tunnel']['peers']) == 2"

# a broken edit: refused with FILE:LINE in the log, the running configuration stays
cp "$ONE" "$tmp/one.good"
printf 'Bogus = 1\n' >>"$ONE"
line=$(wc -l <"$ONE")
check "a broken edit is refused in the log at $(basename "$ONE"):$line" \
	wait_log "$tmp/win1.log" "reload rejected: $(winpath "$ONE"):$line"
wst "emu one"
expect "status: one reload rejected, still two peers, reloads still 2" \
	"d['tunnel']['reload_failures'] == 1 and d['tunnel']['reloads'] == 2 and len(d['tunnel']['peers']) == 2"
ping_ok && r=0 || r=1
check "the tunnel carries on after the broken edit" test "$r" -eq 0

# the file's DACL: Everyone may write it (o+w): refused on reload, with the icacls fix
cp "$tmp/one.good" "$ONE"
chmod o+w "$ONE"
win_conf "emu one" 10.77.0.1:4789 10.77.0.2:4789 >"$ONE"
check "a configuration file Everyone may write is refused on reload, naming Everyone" \
	wait_log "$tmp/win1.log" "can be written by Everyone"
check "  ... with the fix: icacls" grep -q "icacls" "$tmp/win1.log"
wst "emu one"
expect "status: two reloads rejected, the running configuration (two peers) stays" \
	"d['tunnel']['reload_failures'] == 2 and len(d['tunnel']['peers']) == 2"
chmod o-w "$ONE"
win_conf "emu one" 10.77.0.1:4789 10.77.0.2:4789 >"$ONE"
wst_until "emu one" "d['tunnel']['reloads'] == 3"
expect "the file made safe and written again: taken (reloads 3, one peer)" \
	"d['tunnel']['reloads'] == 3 and len(d['tunnel']['peers']) == 1"
# and at start: a file Everyone may write does not start a tunnel
win_conf "emu two" 127.0.0.1:4800 127.0.0.1:4801 >"$tmp/open.conf"
chmod 666 "$tmp/open.conf"
wrun "$tmp/open.conf"
check "tunnel run refuses a file Everyone may write (rc=$rc), with icacls" \
	bash -c '[[ $0 -ne 0 ]] && grep -q "can be written by Everyone" <<<"$1" && grep -q "icacls" <<<"$1"' "$rc" "$out"
# the file's owner: Wine reports a file another Unix user owns as owned by S-1-5-7 (ANONYMOUS
# LOGON), neither Administrators, SYSTEM, TrustedInstaller nor the process's user: refused as
# planted, with the /setowner fix (Wine cannot change an owner: docs/windows.md)
chmod 644 "$tmp/open.conf"
chown nobody "$tmp/open.conf"
wrun "$tmp/open.conf"
check "tunnel run refuses a file someone else owns (rc=$rc), naming S-1-5-7, with icacls /setowner" \
	bash -c '[[ $0 -ne 0 ]] && grep -q "is owned by S-1-5-7 (NT AUTHORITY.ANONYMOUS LOGON)" <<<"$1" && grep -q "could have been planted" <<<"$1" && grep -q "/setowner \*S-1-5-32-544" <<<"$1"' "$rc" "$out"

# --no-watch (emu two): a change does nothing (no SIGHUP on Windows: it waits for a restart)
win_conf "emu two" 127.0.0.1:4800 127.0.0.1:4801 127.0.0.1:4809 >"$TWO"
sleep 1.5
wst "emu two"
expect "--no-watch: the changed file is not reloaded (reloads 0, one peer)" \
	"d['tunnel']['reloads'] == 0 and len(d['tunnel']['peers']) == 1"
check "--no-watch: no reload logged" bash -c '! grep -q "configuration file changed" "$0"' "$tmp/win2.log"

# ---- as a service: the same watch, and its log file ----
# Ctrl-C to the console tunnel on emu one (SIGINT to its Wine process: CTRL_C_EVENT)
wpid=$(pgrep -f "tapkit.exe tunnel run --config .*one.conf" | grep -vx "$win1" | head -1 || true)
[[ -n $wpid ]] && kill -INT "$wpid" 2>/dev/null
for _ in $(seq 40); do kill -0 "$win1" 2>/dev/null || break; sleep 0.25; done
wait "$win1" && rc=0 || rc=$?
check "Ctrl-C stops the console tunnel on emu one (rc=$rc)" test "$rc" -eq 0
log=$WINEPREFIX/drive_c/ProgramData/tapkit/tapkit-tunnel-emu-one.log
svc() { out=$(W timeout 90 wine "$TAPKIT_EXE" tunnel service "$@" 2>"$tmp/svc.err") && rc=0 || rc=$?; errout=$(<"$tmp/svc.err"); }
svc install --config "$(winpath "$ONE")"
check "service install ($out)" test "$rc" -eq 0
svc start --dev "emu one"
check "service start ($out)" test "$rc" -eq 0
ping_until && r=0 || r=1
check "ping crosses with emu one's tunnel as a service" test "$r" -eq 0
win_conf "emu one" 10.77.0.1:4789 10.77.0.2:4789 10.77.0.7:4789 >"$tmp/etc/.one.conf.swp"
mv "$tmp/etc/.one.conf.swp" "$ONE"
wst_until "emu one" "d['tunnel']['reloads'] == 1"
expect "the service reloads its changed file (reloads 1, two peers), no restart" \
	"d['tunnel']['reloads'] == 1 and len(d['tunnel']['peers']) == 2"
svc stop --dev "emu one"
check "service stop ($out)" test "$rc" -eq 0
check "the service's log exists: %ProgramData%\\tapkit\\tapkit-tunnel-emu-one.log" test -s "$log"
check "  ... with the start by the SCM and its pid" grep -q "started by the service control manager (pid [0-9]*)" "$log"
check "  ... with the start (tunnel up, running)" \
	bash -c 'grep -q "tunnel up: mode plain" "$0" && grep -q "tunnel emu one running" "$0"' "$log"
check "  ... with the adapter opened and its peer (plain mode has no handshake to log)" \
	bash -c 'grep -q "adapter emu one open" "$0" && grep -q "listening on 10.77.0.1:4789, 1 peer(s)" "$0"' "$log"
check "  ... with the reload" bash -c 'grep -q "configuration file changed" "$0" && grep -q "reloaded" "$0"' "$log"
check "  ... with the stop by the SCM, as its last line" bash -c 'tail -1 "$0" | grep -q "stop requested by the service control manager (SERVICE_CONTROL_STOP): stopping"' "$log"
svc uninstall --dev "emu one"
check "service uninstall ($out)" test "$rc" -eq 0

if ((failures)); then
	for f in l w win1 win2; do echo "--- $f.log"; tail -20 "$tmp/$f.log"; done
	echo "--- service log"
	tail -30 "$log" 2>/dev/null || true
fi
finish
