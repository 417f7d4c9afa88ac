#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What Windows recorded, as far as Wine holds it: setupapi.dev.log is a file, so the committed
# fixtures (tests/unit/fixtures/windows/setupapi-*.log) are put where Windows writes it and the
# doctor reads the last TAP install from it: a failed install (0x800b0109, untrusted root: an
# unsigned package), a successful one whose tap0901.sys is gone (quarantined), the same with the
# file present, and an install the log ends inside. Wine stubs the event log, so the CodeIntegrity
# and Defender checks must say skipped (not ok) with the reason; their parsers are unit-tested on
# fixtures (tests/unit/test_win_recorded.c).
# shellcheck source=tests/windows/lib.sh
source "$(dirname "$0")/lib.sh"
fixtures=$(cd "$(dirname "$0")/../unit/fixtures/windows" && pwd)
wine_begin
inf=$WINEPREFIX/drive_c/windows/inf
sys=$WINEPREFIX/drive_c/windows/system32/drivers
setupapi_check() { # STATUS [CAUSE]
	doctor_check windows.driver.setupapi tap0901 "$@"
}

tk doctor --json
expect "doctor: the host is named as Wine" \
	"[c for c in d['checks'] if c['id'] == 'windows.host'][0]['evidence']['wine'] != ''"
setupapi_check skipped
for id in windows.driver.cilog windows.security.defender; do
	expect "doctor: $id is skipped because of Wine, not ok" \
		"any(c['id'] == '$id' and c['status'] == 'skipped' and c['skipped_because'] == 'wine' and 'Wine' in c['summary'] for c in d['checks'])"
done

cp "$fixtures/setupapi-failure.log" "$inf/setupapi.dev.log"
tk doctor --json
setupapi_check fail TK_E_DRIVER_UNSIGNED
expect "setupapi: the failed install's code, time and first error are shown" \
	"[(c['os_code'], c['evidence']['start'], 'catalog failed' in c['evidence']['first_error']) for c in d['checks'] if c['id'] == 'windows.driver.setupapi'][0] == (0x800b0109, '2024/06/01 10:00:00.000', True)"

cp "$fixtures/setupapi-success.log" "$inf/setupapi.dev.log"
rm -f "$sys/tap0901.sys"
tk doctor --json
setupapi_check fail TK_E_SECURITY_SOFTWARE
expect "setupapi: the installed tap0901.sys is reported gone (likely quarantined)" \
	"any(c['id'] == 'windows.driver.setupapi' and 'quarantined' in c['summary'] and c['evidence']['installed_1'].endswith('tap0901.sys (gone)') for c in d['checks'])"
doctor_check windows.security "" warn TK_E_SECURITY_SOFTWARE

printf 'not a driver' >"$sys/tap0901.sys"
tk doctor --json
setupapi_check ok
rm -f "$sys/tap0901.sys"

cp "$fixtures/setupapi-cut.log" "$inf/setupapi.dev.log"
tk doctor --json
setupapi_check warn TK_E_DRIVER_NOT_INSTALLED
finish
