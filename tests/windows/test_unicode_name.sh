#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A connection name with non-ASCII characters survives the registry's UTF-16, the command line
# and JSON in both directions.
# shellcheck source=tests/windows/lib.sh
source "$(dirname "$0")/lib.sh"
wine_begin

add_adapter 0201 root\\tap0901 '{22222222-0000-4000-8000-000000000001}' 'Büro-VPN ✓ 東京'
tk list --json
expect "list shows the name in UTF-8" "d['adapters'][0]['name'] == 'Büro-VPN ✓ 東京'"
tk show 'büro-vpn ✓ 東京' --json
check "show by the non-ASCII name (other case) exits 0" test "$rc" -eq 0
expect "show finds it" "d['adapter']['id'] == '{22222222-0000-4000-8000-000000000001}'"
tk show 'Büro/VPN'
check "a name with / is refused as invalid (exit 2)" test "$rc" -eq 2
check "the refusal names the cause" grep -q TK_E_NAME_INVALID <<<"$errout"
finish
