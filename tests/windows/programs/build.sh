#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the test programs of tests/windows/test_program.sh into OUT (usage: build.sh OUT):
#   missing.exe   imports tkmissing.dll, which does not exist
#   delay.exe     delay-loads tkmissing.dll
#   vcrt.exe      imports vcruntime140.dll (the test removes it from the prefix)
#   wintun.exe    imports wintun.dll, not beside it
#   helper.exe    imports tkhelper.dll (beside it), which imports tkdeep.dll (missing)
#   admin.exe     imports newdev.dll, manifest requireAdministrator
#   invoker.exe   imports newdev.dll, manifest asInvoker
#   nomanifest.exe imports newdev.dll, no manifest
#   missing32.exe the 32-bit missing.exe (when i686-w64-mingw32-gcc exists)
#   wrongarch/helper.exe + a 32-bit tkhelper.dll beside it (likewise)
# Import libraries come from .def files (dlltool), so the absent DLLs never need to exist.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$1
mkdir -p "$out/wrongarch"
cd "$out"

implib() { # PREFIX DLL SYMBOL [--delay]
	printf 'LIBRARY %s\nEXPORTS\n%s\n' "$2" "$3" >"$2.def"
	if [[ ${4:-} == --delay ]]; then
		"$1-dlltool" -d "$2.def" -y "lib$2-delay.a"
	else
		"$1-dlltool" -d "$2.def" -l "lib$2.a"
	fi
}

build() { # PREFIX OUT.exe DEFINE [extra objects and libraries...]
	local p=$1 exe=$2 def=$3
	shift 3
	"$p-gcc" -O1 -D"$def" -o "$exe" "$here/prog.c" "$@"
}

x=x86_64-w64-mingw32
implib $x tkmissing.dll tk_missing_probe
implib $x tkmissing.dll tk_missing_probe --delay
implib $x vcruntime140.dll __std_terminate
implib $x wintun.dll WintunGetRunningDriverVersion
implib $x tkdeep.dll tk_deep_probe
implib $x newdev.dll DiInstallDriverW
build $x missing.exe IMPORT_MISSING libtkmissing.dll.a
build $x delay.exe IMPORT_DELAY libtkmissing.dll-delay.a
# binutils 2.40's ld leaves the delay-import data directory (entry 13) empty, which MSVC's
# linker and newer binutils fill; fill it as they do, from the descriptor dlltool made.
desc=$($x-nm delay.exe | awk '/__DELAY_IMPORT_DESCRIPTOR_/ { print $1 }')
python3 - delay.exe "$desc" <<'PY'
import struct, sys
path, va = sys.argv[1], int(sys.argv[2], 16)
b = bytearray(open(path, 'rb').read())
pe = struct.unpack_from('<I', b, 0x3c)[0]
opt = pe + 24
assert struct.unpack_from('<H', b, opt)[0] == 0x20b
base = struct.unpack_from('<Q', b, opt + 24)[0]
struct.pack_into('<II', b, opt + 112 + 13 * 8, va - base, 32)
open(path, 'wb').write(b)
PY
build $x vcrt.exe IMPORT_VCRT libvcruntime140.dll.a
build $x wintun.exe IMPORT_WINTUN libwintun.dll.a
$x-gcc -O1 -shared -o tkhelper.dll "$here/helper.c" libtkdeep.dll.a -Wl,--out-implib,libtkhelper.dll.a
build $x helper.exe IMPORT_HELPER libtkhelper.dll.a
for m in admin invoker; do
	(cd "$here" && $x-windres "$m.rc" -O coff -o "$out/$m.res.o")
	build $x "$m.exe" IMPORT_NEWDEV "$m.res.o" libnewdev.dll.a
done
build $x nomanifest.exe IMPORT_NEWDEV libnewdev.dll.a
cp helper.exe wrongarch/helper.exe

i=i686-w64-mingw32
if command -v $i-gcc >/dev/null; then
	mkdir -p x86
	(cd x86 && implib $i tkmissing.dll tk_missing_probe && implib $i tkdeep.dll tk_deep_probe)
	build $i missing32.exe IMPORT_MISSING x86/libtkmissing.dll.a
	$i-gcc -O1 -shared -o wrongarch/tkhelper.dll "$here/helper.c" x86/libtkdeep.dll.a
else
	echo "build.sh: no i686-w64-mingw32-gcc (apt-get install -y gcc-mingw-w64-i686): 32-bit programs not built" >&2
fi
