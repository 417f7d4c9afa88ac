#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `tapkit driver status|install` and `tapkit enable|disable` under Wine. The machine goes through
# the driver's states with `wine sc create` and `wine reg add`: no driver at all; a package
# staged in the driver store only; the service registered without its .sys file; the service
# disabled; the file present (status ok). Wine cannot install a driver: its newdev.dll
# DiInstallDriverW is a stub that aborts the process, so tapkit reports it as missing
# (TK_E_MISSING_DEPENDENCY) instead of calling it; that error path is what is asserted here.
# shellcheck source=tests/windows/lib.sh
source "$(dirname "$0")/lib.sh"
wine_begin

SYS32="$WINEPREFIX/drive_c/windows/system32"
INF_DIR="$WINEPREFIX/drive_c/tkdrv"

# status_until TEXT: driver status --json until its output contains TEXT (at most 10 times, 1 s
# apart): Wine's service manager needs a moment after `sc create` or a Start change.
status_until() {
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		tk driver status --json
		grep -qF "$1" <<<"$out" && return 0
		sleep 1
	done
	return 0 # the checks that follow report what was seen
}

# ---- no driver at all
tk driver status --json
check "status without a driver exits 4 (not found)" test "$rc" -eq 4
expect "it is the driver document, version 1, for tap0901" \
	"d['version'] == 1 and d['driver']['name'] == 'tap0901'"
expect "it says not installed with its cause" \
	"not d['driver']['ok'] and d['driver']['cause'] == 'TK_E_DRIVER_NOT_INSTALLED' and d['driver']['code'] == 2 and d['driver']['state'] == 'not_installed' and not d['driver']['installed']"
expect "its remedy names tapkit driver install" \
	"'tapkit driver install' in d['driver']['remedy']"
expect "what does not apply is null" \
	"d['driver']['start_type'] is None and d['driver']['file'] is None and d['driver']['package'] is None"
tk driver status
check "the text form has the same answer" grep -q "^status: *TK_E_DRIVER_NOT_INSTALLED" <<<"$out"
check "the text form has a fix line" grep -q "^fix: *install TAP-Windows6" <<<"$out"

# ---- a package staged in the driver store (its INF's DriverVer gives the version)
mkdir -p "$INF_DIR" "$SYS32/DriverStore/FileRepository/oemvista.inf_amd64_4d3c2b1a"
# shellcheck disable=SC2016 # "$Windows NT$" is the INF's literal signature, not an expansion
printf '[Version]\r\nSignature="$Windows NT$"\r\nClass=Net\r\nDriverVer=09/27/2019, 9.24.2.601 ; tap\r\n' >"$INF_DIR/OemVista.inf"
cp "$INF_DIR/OemVista.inf" "$SYS32/DriverStore/FileRepository/oemvista.inf_amd64_4d3c2b1a/oemvista.inf"
tk driver status --json
expect "a staged package is named" "d['driver']['package'] == 'oemvista.inf_amd64_4d3c2b1a'"
expect "its version is read from DriverVer" "d['driver']['driver_version'] == '9.24.2.601'"
expect "still not installed, and the remedy says that creating an adapter installs it" \
	"d['driver']['cause'] == 'TK_E_DRIVER_NOT_INSTALLED' and 'tapkit create' in d['driver']['remedy']"

# ---- the service registered, its file missing
wine sc create tap0901 type= kernel start= demand binPath= 'C:\windows\system32\drivers\tap0901.sys' >/dev/null
status_until '"installed":true'
check "service without its file exits 1" test "$rc" -eq 1
expect "it says the file is missing" \
	"d['driver']['cause'] == 'TK_E_DRIVER_FILES_MISSING' and d['driver']['installed'] and not d['driver']['file_present']"
expect "it shows the service's state, start type and ImagePath" \
	"d['driver']['state'] == 'stopped' and d['driver']['start_type'] == 'demand' and d['driver']['image_path'].lower().endswith('drivers\\\\tap0901.sys')"
expect "the message names the file looked for" "'tap0901.sys' in d['driver']['message']"

# ---- the service disabled
wine reg add 'HKLM\SYSTEM\CurrentControlSet\Services\tap0901' /v Start /t REG_DWORD /d 4 /f >/dev/null
status_until 'TK_E_DRIVER_SERVICE_STOPPED'
expect "a disabled service is TK_E_DRIVER_SERVICE_STOPPED with the sc config remedy" \
	"d['driver']['cause'] == 'TK_E_DRIVER_SERVICE_STOPPED' and d['driver']['start_type'] == 'disabled' and 'sc config tap0901 start= demand' in d['driver']['remedy']"

# ---- the file present and the service on demand: the driver is usable
wine reg add 'HKLM\SYSTEM\CurrentControlSet\Services\tap0901' /v Start /t REG_DWORD /d 3 /f >/dev/null
printf 'MZ' >"$SYS32/drivers/tap0901.sys"
status_until '"ok":true'
check "a usable driver exits 0" test "$rc" -eq 0
expect "it is ok, installed, with its file, and no remedy" \
	"d['driver']['ok'] and d['driver']['cause'] is None and d['driver']['file_present'] and d['driver']['remedy'] is None"

# ---- install: the INF must exist; Wine has no working DiInstallDriverW
tk driver install 'C:\nope\OemVista.inf'
check "install of a missing INF exits 1" test "$rc" -eq 1
check "it names the missing file (TK_E_DRIVER_FILES_MISSING, win32 3)" \
	grep -q "TK_E_DRIVER_FILES_MISSING" <<<"$errout"
tk driver install 'C:\tkdrv\OemVista.inf' --json
check "install under Wine exits 1 (DiInstallDriverW is a stub there)" test "$rc" -eq 1
expect "it is reported as a missing dependency naming DiInstallDriverW" \
	"d['error']['cause'] == 'TK_E_MISSING_DEPENDENCY' and 'DiInstallDriverW' in d['error']['message'] and d['error']['os_code'] == 127"
out=$(TAPKIT_TEST_FORCE_NOT_ELEVATED=1 timeout 60 wine "$TAPKIT_EXE" driver install 'C:\tkdrv\OemVista.inf' 2>&1) && rc=0 || rc=$?
errout=$out
check "install while not elevated exits 3" test "$rc" -eq 3
check "it asks for elevation" grep -q "Run as administrator" <<<"$errout"
tk driver install
check "install without an INF is a usage error (exit 2)" test "$rc" -eq 2
tk driver frobnicate
check "an unknown driver command is a usage error (exit 2)" test "$rc" -eq 2

# ---- enable / disable
tk enable nosuch
check "enable of an unknown adapter exits 4" test "$rc" -eq 4
check "it says TK_E_ADAPTER_NOT_FOUND" grep -q "TK_E_ADAPTER_NOT_FOUND" <<<"$errout"
tk disable nosuch --json
check "disable of an unknown adapter exits 4" test "$rc" -eq 4
expect "its JSON error says TK_E_ADAPTER_NOT_FOUND for disable adapter" \
	"d['error']['cause'] == 'TK_E_ADAPTER_NOT_FOUND' and d['error']['object'] == 'nosuch'"
out=$(TAPKIT_TEST_FORCE_NOT_ELEVATED=1 timeout 60 wine "$TAPKIT_EXE" enable nosuch 2>&1) && rc=0 || rc=$?
errout=$out
check "enable while not elevated exits 3 (elevation is checked first)" test "$rc" -eq 3
tk enable 'bad|name'
check "an invalid connection name is a usage error (exit 2)" test "$rc" -eq 2
# A registry entry without a device behind it (a leftover): found by name, but SetupAPI has no
# device with its GUID.
add_adapter 0401 tap0901 '{55555555-0000-4000-8000-000000000001}' 'leftover'
tk disable leftover
check "disable of a registry-only adapter exits 4" test "$rc" -eq 4
check "it names the adapter's GUID" grep -q "55555555-0000-4000-8000-000000000001" <<<"$errout"
finish
