#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Windows backend's frame path against a device: a test-only kernel-mode driver
# (emulated-driver/tapemu.c, hosted by Wine's winedevice) speaks the tap0901 user-mode protocol
# and is registered as a real TAP-Windows6 install would be (emulated-driver/install.sh). Two
# adapters, "emu one" and "emu two", are cross-connected: a frame written to one is read from
# the other. Checks list, doctor, open by name/GUID/first free, the driver's version and MTU,
# media status, 1000 frames each way checked byte for byte, the second-open refusal, closing
# with reads pending, and the device removed while open. Every wine call is bounded by `timeout`.
# shellcheck source=tests/windows/lib.sh
source "$(dirname "$0")/lib.sh"
emu_build
FRAMES=$out_dir/frames.exe
GUID1='{7A3E5C01-0D1B-4C2A-9E11-5A1F00000001}'
GUID2='{7B4F6D02-0D1B-4C2A-9E11-5A1F00000002}'
wine_begin

emu_install "$out_dir"

# frames ARGS...: runs frames.exe; its output in $fout, exit code in $frc.
frames() {
	frc=0
	fout=$(timeout 60 wine "$FRAMES" "$@" 2>&1) || frc=$?
}

# The emulation itself first: its answers must be tap-windows6's or the rest proves nothing.
frc=0
fout=$(timeout 60 wine "$out_dir/ioctl.exe" "$GUID1" 2>&1) || frc=$?
check "the emulated driver answers as tap-windows6 (ioctl.exe: $(grep -c '^ok' <<<"$fout") checks)" test "$frc" -eq 0
((frc == 0)) || echo "$fout"

tk list --json
expect "list: both emulated adapters, by name and GUID" \
	"sorted((a['name'], a['id'], a['driver']) for a in d['adapters']) == [('emu one', '$GUID1', 'tap0901'), ('emu two', '$GUID2', 'tap0901')]"

doctor_until '"summary":"the tap0901 service is registered (running'
doctor_check windows.driver.service tap0901 ok
doctor_check windows.driver.file tap0901 ok
doctor_check windows.driver.package "" ok
doctor_check windows.adapters "" ok
tk doctor "emu one" --json
doctor_check windows.adapter.registry "emu one" ok
doctor_check windows.adapter.open "emu one" ok
expect "doctor: the open check asked the driver its version (GET_VERSION 9.27)" \
	"[c for c in d['checks'] if c['id'] == 'windows.adapter.open' and c['object'] == 'emu one'][0]['evidence']['driver_version'] == '9.27.0'"
doctor_check windows.adapter.settings "emu one" ok
# Wine's CM_Get_DevNode_Status reports no DN_STARTED for a device it did not start through
# PnP, so the device check says so: skipped because of Wine, with the device node found.
expect "doctor: the device node is found (Wine cannot report it started: skipped)" \
	"any(c['id'] == 'windows.adapter.device' and c['object'] == 'emu one' and c['status'] == 'skipped' and c['skipped_because'] == 'wine' and c['evidence'].get('instance_id') == 'ROOT\\\\NET\\\\0010' for c in d['checks'])"

# An outdated driver: the emulation answers GET_VERSION 9.8 (its test-only request), and the
# doctor names it with the upgrade; then back to 9.27.
timeout 30 wine "$out_dir/ioctl.exe" "$GUID1" set-version 9.8 >/dev/null 2>&1
tk doctor "emu one" --json
doctor_check windows.adapter.open "emu one" warn TK_E_UNSUPPORTED
expect "doctor: a driver older than 9.9 is named with the upgrade" \
	"any(c['id'] == 'windows.adapter.open' and c['evidence'].get('driver_version') == '9.8.0' and 'older than 9.9' in c['summary'] and '9.24.2 or later' in c['remedy'] for c in d['checks'])"
timeout 30 wine "$out_dir/ioctl.exe" "$GUID1" set-version 0.0 >/dev/null 2>&1

# A second owner: the doctor's open talks to the driver, so it sees the refusal (Wine lets the
# CreateFile through; the driver refuses the held adapter's requests with 31).
hlog=$(mktemp)
timeout 15 wine "$TAPKIT_EXE" open "emu one" >"$hlog" 2>&1 &
hpid=$!
for _ in $(seq 1 50); do grep -q "^opened" "$hlog" && break; sleep 0.2; done
tk doctor "emu one" --json
doctor_check windows.adapter.open "emu one" warn TK_E_ADAPTER_BUSY
kill "$hpid" 2>/dev/null || true
wait "$hpid" 2>/dev/null || true
rm -f "$hlog"

# `tapkit open` holds the adapter until it is stopped: timeout ends it (and its handle).
held=$(timeout 5 wine "$TAPKIT_EXE" open "emu one" 2>&1) || true
check "tapkit open by name holds the adapter" grep -q "^opened emu one" <<<"$held"
held=$(timeout 5 wine "$TAPKIT_EXE" open "$GUID2" 2>&1) || true
check "tapkit open by GUID holds the adapter" grep -q "^opened emu two" <<<"$held"

frames info "$GUID1"
check "frames: open by GUID reads driver 9.27 and MTU 1500" \
	grep -q "opened emu one $GUID1: driver 9.27, MTU 1500" <<<"$fout"
frames info "emu two"
check "frames: open by connection name" grep -q "opened emu two $GUID2: driver 9.27, MTU 1500" <<<"$fout"
frames info ""
check "frames: open without a name takes the first free adapter" grep -q "^name emu " <<<"$fout"

frames burst "emu one" "emu two" 1000
check "frames: 1000 frames each way, varied sizes, checked byte for byte" \
	test "$frc" -eq 0 -a -n "$(grep '1000/1000 frames A->B and 1000/1000 B->A' <<<"$fout")"
((frc == 0)) || echo "$fout"

frames carrier "emu one" "emu two"
check "frames: media status off fails I/O with TK_E_LINK_DOWN, on restores it" test "$frc" -eq 0
((frc == 0)) || echo "$fout"

frames busy "emu one"
check "frames: a second open is refused as in use (TK_E_ADAPTER_BUSY, 31) and the slot is freed on close" test "$frc" -eq 0
((frc == 0)) || echo "$fout"

start=$SECONDS
frames pending "emu two"
check "frames: 20 closes with four reads pending each, no hang ($((SECONDS - start)) s)" \
	test "$frc" -eq 0 -a $((SECONDS - start)) -lt 30
((frc == 0)) || echo "$fout"

# The device removed while open (the driver's test-only request, sent through the other
# adapter), then back: reported as vanished, not openable while gone, openable again after.
vlog=$(mktemp)
timeout 60 wine "$FRAMES" vanish "emu one" >"$vlog" 2>&1 &
vpid=$!
wait_for() { # TEXT: bounded, 20 s
	for _ in $(seq 1 100); do
		grep -q "^$1" "$vlog" && return 0
		sleep 0.2
	done
	return 1
}
wait_for ready && timeout 30 wine "$out_dir/ioctl.exe" "$GUID2" remove-peer >/dev/null 2>&1
wait_for gone && timeout 30 wine "$out_dir/ioctl.exe" "$GUID2" restore-peer >/dev/null 2>&1
frc=0
wait "$vpid" || frc=$?
fout=$(<"$vlog")
rm -f "$vlog"
check "frames: a device removed while open is TK_E_DEVICE_VANISHED, and opens again once back" \
	test "$frc" -eq 0
if ((frc == 0)); then grep '^     ' <<<"$fout"; else echo "$fout"; fi

# After all this the adapters are free again.
tk doctor "emu two" --json
doctor_check windows.adapter.open "emu two" ok

# disable: Wine's SetupAPI fails DIF_PROPERTYCHANGE without a code (it used to be reported as
# "win32 0 ERROR_SUCCESS") and its CM_Disable_DevNode is a stub that aborts: said as it is.
tk disable "emu two" --json
check "disable under Wine fails with its real reason, not win32 0" \
	grep -q "DIF_PROPERTYCHANGE failed without an error code" <<<"$errout"
expect "disable under Wine: TK_E_UNSUPPORTED, no OS code made up" \
	"d['error']['cause'] == 'TK_E_UNSUPPORTED' and d['error']['os_kind'] == 'none'"

# A reboot is a result: SetupAPI's restart flag (forced by the test-only seam, since Wine never
# sets it) reaches the caller as exit status 6 and reboot_required in the JSON.
out=$(TAPKIT_TEST_FORCE_REBOOT=1 timeout 60 wine "$TAPKIT_EXE" delete "emu two" --json 2>/dev/null) && rc=0 || rc=$?
check "delete needing a restart exits 6" test "$rc" -eq 6
expect "delete needing a restart says reboot_required" "d == {'version': 1, 'reboot_required': True}"
out=$(TAPKIT_TEST_FORCE_REBOOT=1 timeout 60 wine "$TAPKIT_EXE" delete "emu two" 2>/dev/null) && rc=0 || rc=$?
check "the adapter is gone all the same (a second delete: not found)" test "$rc" -eq 4
tk list --json
expect "list: only emu one is left" "[a['name'] for a in d['adapters']] == ['emu one']"
finish
