#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `tapkit doctor --program PATH` on small programs built here with mingw-w64
# (programs/build.sh): a DLL that is absent (imported, and delay-loaded), one missing behind a
# DLL that is present (recursion), the VC++ runtime removed from the prefix, wintun.dll not
# beside the program, a 32-bit program and a 32-bit DLL beside a 64-bit program, and the
# manifest's requestedExecutionLevel (requireAdministrator, asInvoker, none). The doctor only
# reads the files; none of the programs is run.
# shellcheck source=tests/windows/lib.sh
source "$(dirname "$0")/lib.sh"
progs=$(mkdir -p "$TK_BUILD_WIN/programs" && cd "$TK_BUILD_WIN/programs" && pwd)
if ! bash "$(dirname "$0")/programs/build.sh" "$progs"; then
	echo "$(basename "$0"): cannot build the test programs"
	exit 1
fi
wine_begin

# prog NAME: doctor --program on $progs/NAME.exe (a Z: path, as Wine maps /).
prog() { tk doctor --program "Z:${progs//\//\\}\\$1.exe" --json; }
# dll_check DLL STATUS PYTHON-CONDITION-ON-c: the program.dll check of DLL.
dll_check() {
	expect "$1: $2 ($3)" \
		"any(c['id'] == 'program.dll' and c['object'].lower() == '$1'.lower() and c['status'] == '$2' and ($4) for c in d['checks'])"
}

prog missing
doctor_check program.file "" ok
doctor_check program.dlls "" fail TK_E_MISSING_DEPENDENCY
dll_check tkmissing.dll fail "needed by missing.exe, the program's own" \
	"c['evidence']['needed_by'] == 'missing.exe' and 'reinstall the program' in c['remedy']"
check "missing.exe: exit status 1 (a check failed)" test "$rc" -eq 1

prog delay
doctor_check program.dlls "" warn TK_E_MISSING_DEPENDENCY
dll_check tkmissing.dll warn "delay-loaded: the program starts" \
	"'delay-loaded' in c['evidence']['needed_by'] and 'first needs it' in c['summary']"
check "delay.exe: exit status 0 (warnings only)" test "$rc" -eq 0

prog helper
dll_check tkdeep.dll fail "found through tkhelper.dll beside the program" \
	"c['evidence']['needed_by'] == 'tkhelper.dll'"
expect "helper.exe: tkhelper.dll is found in the application directory" \
	"'tkhelper.dll (application directory)' in [c for c in d['checks'] if c['id'] == 'program.dlls'][0]['evidence']['not_from_windows']"

rm -f "$WINEPREFIX/drive_c/windows/system32/vcruntime140.dll"
prog vcrt
dll_check vcruntime140.dll fail "the fix is the VC++ Redistributable for x64" \
	"'Visual C++ Redistributable' in c['remedy'] and 'vc_redist.x64.exe' in c['remedy']"

prog wintun
dll_check wintun.dll fail "the fix is to put it beside the program" \
	"'in the program' in c['remedy'] and 'folder' in c['remedy']"

prog admin
doctor_check program.elevation "" ok
expect "admin.exe: requireAdministrator read from its manifest" \
	"[c for c in d['checks'] if c['id'] == 'program.elevation'][0]['evidence']['requestedExecutionLevel'] == 'requireAdministrator'"
doctor_check program.dlls "" ok
prog invoker
doctor_check program.elevation "" warn TK_E_NO_PRIVILEGE
expect "invoker.exe: asInvoker read from its manifest" \
	"[c for c in d['checks'] if c['id'] == 'program.elevation'][0]['evidence'] == {'manifest': 'embedded', 'requestedExecutionLevel': 'asInvoker', 'manages_adapters': 'likely (imports newdev.dll or tapkit\\'s DLL)'}"
prog nomanifest
doctor_check program.elevation "" warn TK_E_NO_PRIVILEGE
expect "nomanifest.exe: no manifest" \
	"[c for c in d['checks'] if c['id'] == 'program.elevation'][0]['evidence']['manifest'] == 'none'"

if [[ -f $progs/missing32.exe ]]; then
	prog missing32
	expect "missing32.exe: read as a 32-bit x86 program" \
		"[c for c in d['checks'] if c['id'] == 'program.file'][0]['evidence']['bits'] == '32'"
	if [[ -d $WINEPREFIX/drive_c/windows/syswow64 ]]; then
		doctor_check program.bitness "" warn TK_E_WOW64
	else
		# Debian's wine64 without wine32: a 64-bit Windows with no 32-bit subsystem.
		doctor_check program.bitness "" fail TK_E_UNSUPPORTED
		doctor_check program.dlls "" skipped
	fi
	prog wrongarch\\helper
	dll_check tkhelper.dll fail "a 32-bit DLL beside a 64-bit program" \
		"'an x86 DLL for an x64 program' in c['summary']"
else
	echo "  skip 32-bit programs: no i686-w64-mingw32-gcc (apt-get install -y gcc-mingw-w64-i686)"
fi

tk doctor --program 'Z:\nonexistent\app.exe' --json
doctor_check program.file "" fail TK_E_BAD_ARGUMENT
doctor_check program.dlls "" skipped
tk doctor --program "Z:${TAPKIT_EXE//\//\\}" --json
doctor_check program.dlls "" ok
finish
