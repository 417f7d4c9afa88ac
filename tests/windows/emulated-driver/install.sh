#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# TEST CODE ONLY. Registers the emulated tap0901 driver in the current WINEPREFIX the way a real
# TAP-Windows6 install looks (net class keys with ComponentId tap0901, NetCfgInstanceId,
# DriverDesc; the connection names; the tap0901 kernel-driver service with the .sys in
# system32\drivers) and starts the service.
# usage: install.sh TAPEMU.SYS [NAME1 [NAME2]]
set -euo pipefail
trap 'echo "install.sh: line $LINENO failed (exit $?): $BASH_COMMAND" >&2' ERR
sys=${1:?usage: install.sh TAPEMU.SYS [NAME1 [NAME2]]}
names=("${2:-emu one}" "${3:-emu two}")
# Must match emu_guids[] in tapemu.c.
guids=('{7A3E5C01-0D1B-4C2A-9E11-5A1F00000001}' '{7B4F6D02-0D1B-4C2A-9E11-5A1F00000002}')
CLASS='HKLM\SYSTEM\CurrentControlSet\Control\Class\{4D36E972-E325-11CE-BFC1-08002BE10318}'
NETWORK='HKLM\SYSTEM\CurrentControlSet\Control\Network\{4D36E972-E325-11CE-BFC1-08002BE10318}'

drivers=$(wine winepath -u 'C:\windows\system32\drivers' 2>/dev/null)
cp "$sys" "$drivers/tap0901.sys"
# The staged package, as pnputil leaves it (doctor's windows.driver.package looks for it).
store="$drivers/../DriverStore/FileRepository/oemvista.inf_amd64_7e5ca1b0e1d00001"
mkdir -p "$store"
cp "$sys" "$store/tap0901.sys"
# shellcheck disable=SC2016 # "$Windows NT$" is literal INF text
printf '%s\r\n' '; TEST ONLY: stands in for tap-windows6 OemVista.inf (tapkit emulated driver)' \
	'[Version]' 'Signature = "$Windows NT$"' 'Class = Net' \
	'ClassGUID = {4d36e972-e325-11ce-bfc1-08002be10318}' 'Provider = %Provider%' \
	'DriverVer = 02/27/2024,9.27.0.0' '[Strings]' 'Provider = "TAP-Windows Provider V9"' \
	>"$store/oemvista.inf"
for i in 0 1; do
	key="$CLASS\\00$((i + 10))"
	wine reg add "$key" /v ComponentId /t REG_SZ /d tap0901 /f >/dev/null
	wine reg add "$key" /v NetCfgInstanceId /t REG_SZ /d "${guids[i]}" /f >/dev/null
	wine reg add "$key" /v DriverDesc /t REG_SZ /d "TAP-Windows Adapter V9" /f >/dev/null
	wine reg add "$key" /v MatchingDeviceId /t REG_SZ /d tap0901 /f >/dev/null
	wine reg add "$key" /v '*IfType' /t REG_DWORD /d 53 /f >/dev/null
	wine reg add "$key" /v MediaStatus /t REG_SZ /d 0 /f >/dev/null
	wine reg add "$key" /v AllowNonAdmin /t REG_SZ /d 1 /f >/dev/null
	wine reg add "$key" /v MTU /t REG_SZ /d 1500 /f >/dev/null
	wine reg add "$NETWORK\\${guids[i]}\\Connection" /v Name /t REG_SZ /d "${names[i]}" /f >/dev/null
	wine reg add "$NETWORK\\${guids[i]}\\Connection" /v PnPInstanceId /t REG_SZ \
		/d "ROOT\\NET\\00$((i + 10))" /f >/dev/null
	# The device node SetupAPI lists (root-enumerated, as tapctl creates them).
	dev="HKLM\\SYSTEM\\CurrentControlSet\\Enum\\ROOT\\NET\\00$((i + 10))"
	wine reg add "$dev" /v ClassGUID /t REG_SZ /d '{4D36E972-E325-11CE-BFC1-08002BE10318}' /f >/dev/null
	wine reg add "$dev" /v Class /t REG_SZ /d Net /f >/dev/null
	wine reg add "$dev" /v Driver /t REG_SZ /d "{4D36E972-E325-11CE-BFC1-08002BE10318}\\00$((i + 10))" /f >/dev/null
	wine reg add "$dev" /v HardwareID /t REG_MULTI_SZ /d 'root\tap0901' /f >/dev/null
	wine reg add "$dev" /v Service /t REG_SZ /d tap0901 /f >/dev/null
	wine reg add "$dev" /v DeviceDesc /t REG_SZ /d 'TAP-Windows Adapter V9' /f >/dev/null
done
# (a second run, after a failed first one, finds the service made: 1073 is then fine)
wine sc create tap0901 type= kernel start= demand \
	binPath= 'C:\windows\system32\drivers\tap0901.sys' DisplayName= 'TAP-Windows Adapter V9' >/dev/null ||
	wine sc query tap0901 >/dev/null
# Wine 8's service manager does not start a kernel driver created in the running session
# (sc start: 1060, then "database locked"; measured): restart the prefix, as the reboot after a
# driver install, then start it. The wineserver stays persistent, or winedevice would go away
# with the last program.
WINESERVER=$(command -v wineserver || echo /usr/lib/wine/wineserver)
"$WINESERVER" -k 2>/dev/null || true
"$WINESERVER" -w 2>/dev/null || true
"$WINESERVER" -p 2>/dev/null || true
for _ in $(seq 1 30); do
	wine sc start tap0901 >/dev/null 2>&1 || true
	for _ in 1 2 3 4; do
		wine sc query tap0901 2>/dev/null | grep -q RUNNING && exit 0
		sleep 0.5
	done
done
echo "install.sh: the tap0901 service did not start" >&2
wine sc query tap0901 >&2 || true
exit 1
