#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Adapters registered with every known TAP component id, in any case, are listed; wintun and
# ovpn-dco adapters are not, and naming one says which driver it has; TAPKIT_TAP_IDS adds a
# renamed build's id. Each adapter's real open
# fails as it does under Wine (no driver creates \\.\Global\{GUID}.tap: CreateFile gives 2), and
# doctor reports that code with its cause and remedy.
# shellcheck source=tests/windows/lib.sh
source "$(dirname "$0")/lib.sh"
wine_begin

add_adapter 0101 tap0901 '{11111111-0000-4000-8000-000000000001}' 'tap a'
add_adapter 0102 'ROOT\TAP0901' '{11111111-0000-4000-8000-000000000002}' 'tap b'
add_adapter 0103 tap0801 '{11111111-0000-4000-8000-000000000003}' 'tap c'
add_adapter 0104 TapOas '{11111111-0000-4000-8000-000000000004}' 'tap d'
add_adapter 0105 'root\tap_ovpnconnect' '{11111111-0000-4000-8000-000000000005}' 'tap e'
add_adapter 0106 'ROOT\Wintun' '{11111111-0000-4000-8000-000000000006}' 'not tap 1'
add_adapter 0107 ovpn-dco '{11111111-0000-4000-8000-000000000007}' 'not tap 2'
add_adapter 0108 mytap9 '{11111111-0000-4000-8000-000000000008}' 'renamed build'

tk list --json
check "list exits 0" test "$rc" -eq 0
expect "list shows exactly the five TAP ids" \
	"sorted(a['name'] for a in d['adapters']) == ['tap a', 'tap b', 'tap c', 'tap d', 'tap e']"
expect "list keeps each adapter's component id and canonical GUID" \
	"any(a['driver'] == 'ROOT\\\\TAP0901' and a['id'] == '{11111111-0000-4000-8000-000000000002}' for a in d['adapters'])"

out=$(TAPKIT_TAP_IDS=mytap9 timeout 60 wine "$TAPKIT_EXE" list --json)
expect "TAPKIT_TAP_IDS adds a renamed build" "'renamed build' in [a['name'] for a in d['adapters']]"

tk show '{11111111-0000-4000-8000-000000000003}' --json
check "show by GUID exits 0" test "$rc" -eq 0
expect "show by GUID finds the adapter" "d['adapter']['name'] == 'tap c'"
tk show 'TAP D' --json
expect "show by name ignores case" "d['adapter']['id'] == '{11111111-0000-4000-8000-000000000004}'"
tk show '{11111111-0000-4000-8000-000000000006}'
check "a wintun GUID is not a TAP adapter (exit 4)" test "$rc" -eq 4
check "it is named as a Wintun adapter, not just not found" grep -q "is a Wintun (WireGuard's driver) adapter" <<<"$errout"
tk show 'not tap 2' --json
expect "an ovpn-dco adapter named by mistake is TK_E_NOT_TAP naming its driver" \
	"d['error']['cause'] == 'TK_E_NOT_TAP' and 'ovpn-dco' in d['error']['message']"
tk doctor 'not tap 1' --json
doctor_check windows.adapter.registry 'not tap 1' fail TK_E_NOT_TAP
expect "doctor names the Wintun adapter's real driver" \
	"'Wintun' in [c for c in d['checks'] if c['id'] == 'windows.adapter.registry'][0]['summary']"

tk open 'tap a' --timeout 1
check "open exits 4 (not found)" test "$rc" -eq 4
check "open reports CreateFile's Win32 error 2" grep -q "win32 2" <<<"$errout"
check "open explains the missing device object" grep -q "no device object for this GUID" <<<"$errout"

tk doctor 'tap b' --json
doctor_check windows.adapter.registry 'tap b' ok
doctor_check windows.adapter.device 'tap b' fail TK_E_ADAPTER_NOT_FOUND
doctor_check windows.adapter.open 'tap b' fail TK_E_ADAPTER_NOT_FOUND
expect "doctor: the open check shows the path and CreateFile's code" \
	"[c for c in d['checks'] if c['id'] == 'windows.adapter.open'][0]['evidence']['path'] == '\\\\\\\\.\\\\Global\\\\{11111111-0000-4000-8000-000000000002}.tap' and [c for c in d['checks'] if c['id'] == 'windows.adapter.open'][0]['os_code'] == 2"
finish
