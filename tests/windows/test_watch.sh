#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `tapkit watch` on Windows, under Wine with the emulated tap0901 driver (emulated-driver/):
# the configuration applied to both adapters at start (--once and run), an adapter made to
# vanish and come back with the driver's test-only remove/restore request and configured again,
# Ctrl-C stopping the console run cleanly, and the Windows service cycle (install, status,
# start, the same re-apply under the SCM, stop, uninstall). What Wine cannot do is asserted as
# the failure it gives, with its cause: IP Helper does not know the emulated adapters (MTU,
# addresses) and SetupAPI cannot restart a device (the MAC's restart), so the checks that show
# a real effect use the MAC's registry value (NetworkAddress), which the watch writes first.
# shellcheck source=tests/windows/lib.sh
source "$(dirname "$0")/lib.sh"
emu_build
GUID1='{7A3E5C01-0D1B-4C2A-9E11-5A1F00000001}'
wine_begin
emu_install "$out_dir"

drive_c=$WINEPREFIX/drive_c
cat >"$drive_c/watch.conf" <<'EOF'
# tapkit watch, test configuration
[Adapter emu one]
MAC = 02:00:5e:10:00:01
MTU = 1400
Address = 10.250.1.1/30

[Adapter emu two]
MAC = 02:00:5e:10:00:02
EOF
CONF='C:\watch.conf'

# netaddr SUBKEY: the NetworkAddress value the MAC step writes ("" when absent).
netaddr() {
	wine reg query "$CLASS\\$1" /v NetworkAddress 2>/dev/null | tr -d '\r' |
		awk '$1 == "NetworkAddress" { print $3 }'
}
netaddr_clear() {
	wine reg delete "$CLASS\\$1" /v NetworkAddress /f >/dev/null 2>&1 || true
}
# wait_log FILE PATTERN [SECONDS]: bounded wait for an extended regex in FILE.
wait_log() {
	local end=$((SECONDS + ${3:-30}))
	while ((SECONDS < end)); do
		grep -Eq "$2" "$1" 2>/dev/null && return 0
		sleep 0.3
	done
	return 1
}
ioctl() { timeout 30 wine "$out_dir/ioctl.exe" "$GUID1" "$1" >/dev/null 2>&1; }

# ---- --once: applied to both at start ----
tk watch --once --config "$CONF"
check "watch --once: both adapters configured, Wine's missing parts reported (exit 1)" \
	test "$rc" -eq 1
check "watch --once: applies [Adapter emu one] of the file" \
	grep -q "emu one (ifindex 0, $GUID1): applying \[Adapter\] of C:.watch.conf:2" <<<"$errout"
check "watch --once: applies [Adapter emu two] of the file" \
	grep -q "emu two (ifindex 0, .*): applying \[Adapter\] of C:.watch.conf:7" <<<"$errout"
check "watch --once: the MAC of emu one is written (NetworkAddress)" \
	test "$(netaddr 0010)" = 02005E100001
check "watch --once: the MAC of emu two is written (NetworkAddress)" \
	test "$(netaddr 0011)" = 02005E100002
check "watch --once: the MTU failure under Wine names its cause" \
	grep -Eq "emu one: set mtu 1400 failed: .+" <<<"$errout"
check "watch --once: prints the count" grep -q "configured 0 adapter(s), 2 failed" <<<"$out"

# ---- run: the source in use, vanish and come back, Ctrl-C ----
netaddr_clear 0010
netaddr_clear 0011
log=$(mktemp)
TAPKIT_WATCH_POLL_MS=300 timeout 120 wine "$TAPKIT_EXE" watch run --config "$CONF" \
	--log-level debug >"$log.out" 2>"$log" &
wpid=$!
check "watch run: prints \"watching FILE\"" wait_log "$log.out" "^watching C:.watch.conf"
check "watch run: applied at start" test "$(netaddr 0011)" = 02005E100002
check "watch run: the log says which event source is in use" \
	grep -q "watch sources: device events: none (no CM_Register_Notification); interface events: NotifyIpInterfaceChange; rescan every 300 ms (Wine" "$log"
netaddr_clear 0011
ioctl remove-peer
# Its device link goes while its device node stays: "stopped" (a removed node would be "gone").
check "watch run: the removed adapter is seen gone" wait_log "$log" "emu two \(ifindex 0\) is stopped"
check "watch run: nothing applied while it is gone" test -z "$(netaddr 0011)"
ioctl restore-peer
check "watch run: the adapter back is configured again" \
	wait_log "$log" "emu two \(ifindex 0, .*came back\): applying"
check "watch run: its MAC is written again" test "$(netaddr 0011)" = 02005E100002
kill -INT "$wpid" 2>/dev/null
wrc=0
wait "$wpid" || wrc=$?
check "watch run: Ctrl-C stops it with exit 0 (got $wrc)" test "$wrc" -eq 0
check "watch run: it logged its stop" grep -q "stopping: asked to stop" "$log"
res=$(grep -o "resources: handles [0-9]* before, [0-9]* after; threads [0-9]* before, [0-9]* after" "$log" || true)
read -r h0 h1 t0 t1 < <(awk '{ print $3, $5, $8, $10 }' <<<"${res//,/}")
# Wine 8 answers GetProcessHandleCount with 0: then the handle count shows nothing.
if [[ ${h0:-0} == 0 ]]; then
	echo "  skip watch run: handles left behind (Wine's GetProcessHandleCount says 0)"
else
	check "watch run: no handle left behind after Ctrl-C ($res)" test "$h0" = "${h1:-y}"
fi
check "watch run: no thread left behind after Ctrl-C ($res)" test -n "$res" -a "${t0:-x}" = "${t1:-y}"
rm -f "$log" "$log.out"

# ---- the service ----
SVCLOG='C:\watch-svc.log'
svclog=$drive_c/watch-svc.log
tk watch service status --json
expect "service status before install: not installed" \
	"d['service']['name'] == 'tapkit-watch' and d['service']['installed'] is False"
tk watch service install --config "$CONF" --log-file "$SVCLOG"
check "service install succeeds" test "$rc" -eq 0
check "service install names the service, the config and the log" \
	grep -q "installed service tapkit-watch (config C:.watch.conf, log C:.watch-svc.log)" <<<"$out"
# Wine's service manager refuses SERVICE_CONFIG_FAILURE_ACTIONS (124): the install says so.
check "service install: recovery actions refused by Wine's SCM are a warning, with the code" \
	grep -q "did not accept recovery actions (win32 124): it will not be restarted" <<<"$errout"
tk watch service install --config "$CONF" --json
check "service install again: exit 5 (exists)" test "$rc" -eq 5
expect "service install again: TK_E_EXISTS naming the service, win32 1073 and the fix" \
	"d['error']['cause'] == 'TK_E_EXISTS' and d['error']['os_code'] == 1073 and 'tapkit-watch' in d['error']['message'] and 'uninstall' in d['error']['remedy']"
printf '[Adapter emu one]\nMTU = 10\n' >"$drive_c/bad.conf"
tk watch service install --config 'C:\bad.conf'
check "service install with a bad file: refused with FILE:LINE (exit 2)" \
	test "$rc" -eq 2 -a -n "$(grep -F 'bad.conf:2' <<<"$errout")"
# Wine's service manager starts a service created in the running session only after a restart
# of the prefix (1053 before; measured, as install.sh found for the driver): "reboot", then
# start the emulated driver again. The watch service is set to start at boot, so it may be up
# before the driver: it then sees the adapters appear.
tk watch service status --json
expect "service status after install: stopped, LocalSystem, runs watch run --config --service" \
	"d['service']['installed'] and d['service']['state'] == 'stopped' and d['service']['account'] == 'LocalSystem' and 'watch\" \"run\" \"--config\" \"C:\\\\watch.conf\" \"--service' in d['service']['command']"
netaddr_clear 0010
netaddr_clear 0011
"$WINESERVER" -k 2>/dev/null || true
"$WINESERVER" -w 2>/dev/null || true
"$WINESERVER" -p 2>/dev/null || true
for _ in $(seq 1 30); do
	wine sc start tap0901 >/dev/null 2>&1 || true
	wine sc query tap0901 2>/dev/null | grep -q RUNNING && break
	sleep 0.5
done
tk watch service start
check "service start: running" test "$rc" -eq 0 -a -n "$(grep -F "started service tapkit-watch" <<<"$out")"
((rc == 0)) || echo "$errout"
tk watch service status --json
expect "service status: running with a pid" \
	"d['service']['state'] == 'running' and d['service']['pid'] > 0"
check "service: its log says it is watching" wait_log "$svclog" "watching adapters for C:.watch.conf"
check "service: emu one configured (at start or as it appeared)" \
	wait_log "$svclog" "emu one \(ifindex 0, .*\): applying"
check "service: the MAC of emu one is written" test "$(netaddr 0010)" = 02005E100001
netaddr_clear 0011
ioctl remove-peer
check "service: the removed adapter is seen" wait_log "$svclog" "emu two \(ifindex 0\) is stopped"
ioctl restore-peer
check "service: the adapter back is configured again" \
	wait_log "$svclog" "emu two \(ifindex 0, .*came back\): applying"
check "service: its MAC is written again" test "$(netaddr 0011)" = 02005E100002
tk watch service stop
check "service stop: stopped" test "$rc" -eq 0 -a -n "$(grep -F "stopped service tapkit-watch" <<<"$out")"
tk watch service status --json
expect "service status after stop: stopped with exit code 0" \
	"d['service']['state'] == 'stopped' and d['service']['exit_code'] == 0 and d['service']['pid'] == 0"
check "service: it logged its stop" wait_log "$svclog" "stopping: asked to stop" 10
check "service: its process is gone after stop" \
	bash -c '! pgrep -f "[t]apkit.exe.*--service" >/dev/null'
tk watch service uninstall
check "service uninstall" test "$rc" -eq 0 -a -n "$(grep -F "uninstalled service tapkit-watch" <<<"$out")"
tk watch service status --json
expect "service status after uninstall: not installed" "d['service']['installed'] is False"
tk watch service start --json
check "service start when not installed: exit 2 naming the fix" \
	test "$rc" -eq 2 -a -n "$(grep -F 'tapkit watch service install' <<<"$out")"
tk watch run --config "$CONF" --service
check "--service outside the SCM: refused with the reason" \
	test "$rc" -eq 1 -a -n "$(grep -F 'without it on a console' <<<"$errout")"

finish
