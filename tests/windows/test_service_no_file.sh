#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The tap0901 service is registered with the service manager but its .sys file is missing (a
# broken uninstall): doctor passes the service check and fails the driver file check with the
# path it looked for. Wine cannot load the real tap0901.sys (an NDIS miniport) at all.
# shellcheck source=tests/windows/lib.sh
source "$(dirname "$0")/lib.sh"
wine_begin

wine sc create tap0901 type= kernel start= demand binPath= 'C:\windows\system32\drivers\tap0901.sys' >/dev/null
doctor_until '"summary":"the tap0901 service is registered'
doctor_check windows.driver.service tap0901 ok
doctor_check windows.driver.file tap0901 fail TK_E_DRIVER_FILES_MISSING
expect "doctor: the file check shows the path it looked for" \
	"[c for c in d['checks'] if c['id'] == 'windows.driver.file'][0]['evidence']['path'].lower().endswith('drivers\\\\tap0901.sys')"

# Start = 4: the service is disabled.
wine reg add 'HKLM\SYSTEM\CurrentControlSet\Services\tap0901' /v Start /t REG_DWORD /d 4 /f >/dev/null
doctor_until 'TK_E_DRIVER_SERVICE_STOPPED'
doctor_check windows.driver.service tap0901 fail TK_E_DRIVER_SERVICE_STOPPED
expect "doctor: the disabled service's remedy is sc config" \
	"'sc config tap0901 start= demand' in [c for c in d['checks'] if c['id'] == 'windows.driver.service'][0]['remedy']"
finish
