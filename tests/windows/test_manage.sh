#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Managing adapters: elevation is checked first (Wine is always elevated, so the test seam
# TAPKIT_TEST_FORCE_NOT_ELEVATED=1 plays the non-elevated user); an elevated create goes through
# SetupAPI (device registered) and stops at DiInstallDevice, which Wine 8 only stubs: tapkit
# reports that and removes the half-made device. A real install needs Windows.
# shellcheck source=tests/windows/lib.sh
source "$(dirname "$0")/lib.sh"
wine_begin

out=$(TAPKIT_TEST_FORCE_NOT_ELEVATED=1 timeout 60 wine "$TAPKIT_EXE" create tk1 2>&1) && rc=0 || rc=$?
errout=$out
check "create while not elevated exits 3 (permission)" test "$rc" -eq 3
check "it names TK_E_NO_PRIVILEGE and elevation" grep -q "TK_E_NO_PRIVILEGE" <<<"$errout"
check "its remedy says Run as administrator" grep -q "Run as administrator" <<<"$errout"
out=$(TAPKIT_TEST_FORCE_NOT_ELEVATED=1 timeout 60 wine "$TAPKIT_EXE" doctor --json) || true
doctor_check windows.elevation '' warn TK_E_NO_PRIVILEGE

tk --log-level info create tk1
check "elevated create fails (Wine lacks DiInstallDevice) with exit 1" test "$rc" -eq 1
check "it names the missing function" grep -q "DiInstallDevice" <<<"$errout"
# shellcheck disable=SC2016 # $1 is expanded by the inner bash, which gets $errout as its $1
check "the half-made device was removed (no cleanup warning)" bash -c '! grep -q "could not remove" <<<"$1"' _ "$errout"

add_adapter 0401 tap0901 '{44444444-0000-4000-8000-000000000001}' 'stale'
tk delete stale
check "delete of a registry-only adapter exits 4" test "$rc" -eq 4
check "it says the registry entry is stale" grep -q "stale" <<<"$errout"
tk set stale master br0
check "set master is unsupported on Windows (exit 1)" test "$rc" -eq 1
check "its remedy names Bridge Connections" grep -q "Bridge Connections" <<<"$errout"
finish
