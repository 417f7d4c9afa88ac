#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Registry values of the wrong type or too long are reported (with the value and the key), never
# trusted and never a crash: the adapter stays listed under its GUID when only its name is bad,
# and is left out with a warning when its GUID is unusable.
# shellcheck source=tests/windows/lib.sh
source "$(dirname "$0")/lib.sh"
wine_begin

G1='{33333333-0000-4000-8000-000000000001}'
G2='{33333333-0000-4000-8000-000000000002}'
G3='{33333333-0000-4000-8000-000000000003}'
add_adapter 0301 tap0901 "$G1"
wine reg add "$NETWORK\\$G1\\Connection" /v Name /t REG_DWORD /d 7 /f >/dev/null
add_adapter 0302 tap0901 "$G2"
long=$(printf 'x%.0s' $(seq 1 400))
wine reg add "$NETWORK\\$G2\\Connection" /v Name /t REG_SZ /d "$long" /f >/dev/null
add_adapter 0303 tap0901 "$G3" 'fine'
wine reg add "$CLASS\\0303" /v NetCfgInstanceId /t REG_BINARY /d 00ff /f >/dev/null
wine reg add "$CLASS\\0304" /v ComponentId /t REG_DWORD /d 9 /f >/dev/null

tk list --json
check "list exits 0 despite bad values" test "$rc" -eq 0
expect "an adapter whose Name is a DWORD is listed under its GUID" "'$G1' in [a['name'] for a in d['adapters']]"
expect "an adapter whose Name is 400 characters is listed under its GUID" "'$G2' in [a['name'] for a in d['adapters']]"
expect "an adapter whose NetCfgInstanceId is binary is left out" "'$G3' not in [a['id'] for a in d['adapters']]"
check "the warning names the value, its type and the key" grep -q "value Name of .*$G1.* has the wrong type (REG_DWORD" <<<"$errout"
check "the warning says a too-long value is too long" grep -q "value Name of .*$G2.* is too long" <<<"$errout"
check "the warning names the binary NetCfgInstanceId" grep -q "value NetCfgInstanceId of .*0303 has the wrong type (REG_BINARY" <<<"$errout"
check "a ComponentId of the wrong type is skipped with a warning" grep -q "value ComponentId of .*0304 has the wrong type" <<<"$errout"

tk doctor --json
doctor_check windows.adapter.registry "$G1" warn TK_E_CONFIG
doctor_check windows.adapter.registry "$G2" warn TK_E_CONFIG
expect "doctor: the registry check's remedy says where to repair" \
	"'regedit' in [c for c in d['checks'] if c['id'] == 'windows.adapter.registry' and c['object'] == '$G1'][0]['remedy']"
expect "doctor: the unusable GUID fails its registry check" \
	"any(c['id'] == 'windows.adapter.registry' and c['status'] == 'fail' and c['cause'] == 'TK_E_CONFIG' for c in d['checks'])"
finish
