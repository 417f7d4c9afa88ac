#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A machine with no TAP driver at all: nothing listed, doctor names the missing driver service
# (OpenService 1060), no driver package, no adapter; open without a name says none exists.
# shellcheck source=tests/windows/lib.sh
source "$(dirname "$0")/lib.sh"
wine_begin

tk list --json
check "list exits 0" test "$rc" -eq 0
expect "list reports no adapter" "d['adapters'] == []"

tk doctor --json
check "doctor exits 1 (problems found)" test "$rc" -eq 1
doctor_check windows.elevation '' ok
doctor_check windows.runtime '' ok
doctor_check windows.driver.service tap0901 fail TK_E_DRIVER_NOT_INSTALLED
expect "doctor: the service check carries OpenService's 1060 and a remedy" \
	"[c for c in d['checks'] if c['id'] == 'windows.driver.service'][0]['os_code'] == 1060 and 'install' in [c for c in d['checks'] if c['id'] == 'windows.driver.service'][0]['remedy']"
doctor_check windows.driver.file tap0901 skipped
doctor_check windows.driver.package '' warn TK_E_DRIVER_NOT_INSTALLED
doctor_check windows.adapters '' fail TK_E_ADAPTER_NOT_FOUND
# Wine's NtQuerySystemInformation(103) is a stub (always 0x1): skipped with that reason, not ok
# (the bits are unit-tested instead).
expect "doctor: windows.codeintegrity is skipped because of Wine" \
	"any(c['id'] == 'windows.codeintegrity' and c['status'] == 'skipped' and c['skipped_because'] == 'wine' for c in d['checks'])"

tk show "Nothing Here"
check "show of a missing adapter exits 4 (not found)" test "$rc" -eq 4
check "show names the cause" grep -q TK_E_ADAPTER_NOT_FOUND <<<"$errout"
check "show says no TAP adapter exists" grep -q "no TAP-Windows adapter exists" <<<"$errout"
finish
