#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Checks that Windows executables import only DLLs that ship with Windows, so tapkit.exe runs
# on a bare system (no libgcc_s, libwinpthread or MinGW runtime DLL beside it). Reads the import
# table with x86_64-w64-mingw32-objdump -p. The allow-list matches tk__winlogic_dll_is_system()
# in src/windows/winlogic.c, which the doctor uses for the same check at run time.
#   usage: scripts/check-win-imports.sh FILE.exe...
set -euo pipefail

objdump=${OBJDUMP:-x86_64-w64-mingw32-objdump}
command -v "$objdump" >/dev/null || { echo "check-win-imports: $objdump not found (package binutils-mingw-w64-x86-64)" >&2; exit 2; }

allowed='^(kernel32|advapi32|setupapi|cfgmgr32|iphlpapi|ole32|oleaut32|ntdll|msvcrt|ws2_32|user32|shell32|bcrypt|rpcrt4|newdev|crypt32|wintrust|shlwapi|version|userenv|ucrtbase|secur32|combase)\.dll$|^api-ms-win-'

status=0 checked=0
for exe in "$@"; do
	[[ -f $exe ]] || continue # an unmatched glob: nothing built there
	checked=$((checked + 1))
	mapfile -t dlls < <("$objdump" -p "$exe" | sed -n 's/^[[:space:]]*DLL Name:[[:space:]]*//p')
	if ((${#dlls[@]} == 0)); then
		echo "check-win-imports: $exe: no import table found" >&2
		status=1
		continue
	fi
	bad=()
	for dll in "${dlls[@]}"; do
		lower=${dll,,}
		[[ $lower =~ $allowed ]] || bad+=("$dll")
	done
	if ((${#bad[@]})); then
		echo "check-win-imports: $exe imports non-system DLLs: ${bad[*]}" >&2
		echo "  (link statically: -static; see cmake/mingw-w64.cmake)" >&2
		status=1
	else
		echo "check-win-imports: $exe: ok (${dlls[*]})"
	fi
done
((checked > 0)) || { echo "check-win-imports: no executable given" >&2; exit 2; }
exit $status
