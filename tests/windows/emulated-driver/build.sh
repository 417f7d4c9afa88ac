#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Builds the test-only emulated tap0901 driver (tapemu.sys), its protocol check (ioctl.exe), the
# console-event sender (ctrlevent.exe) and the frame test program (frames.exe, against
# BUILD_WIN/libtapkit.a) with Debian's mingw-w64.
# usage: build.sh OUTDIR [BUILD_WIN]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh OUTDIR [BUILD_WIN]}
build_win=${2:-build-win}
root=$(cd "$here/../../.." && pwd)
cc=x86_64-w64-mingw32-gcc
mkdir -p "$out"
# Kernel mode: no C library, no builtins that would call memcpy/memset, no stack protector
# (environment.md, "A kernel-mode test driver under Wine").
$cc -O2 -Wall -Wextra -Werror -I/usr/share/mingw-w64/include/ddk \
	-ffreestanding -fno-builtin -fno-stack-protector \
	-shared -nostdlib -Wl,--subsystem,native -Wl,--entry,DriverEntry \
	-o "$out/tapemu.sys" "$here/tapemu.c" -lntoskrnl
# The driver's own protocol, checked with raw Win32 calls.
$cc -O2 -Wall -Wextra -Werror -o "$out/ioctl.exe" "$here/ioctl.c"
# Console control events delivered as Windows delivers them (tests/windows/ctrlevent.c).
$cc -O2 -Wall -Wextra -Werror -o "$out/ctrlevent.exe" "$here/../ctrlevent.c"
if [[ -f $here/frames.c ]]; then
	$cc -O2 -Wall -Wextra -Werror -I"$root/include" -o "$out/frames.exe" "$here/frames.c" \
		"$build_win/libtapkit.a" -static \
		-lsetupapi -lcfgmgr32 -liphlpapi -ladvapi32 -lole32 -loleaut32 -lshell32 -lntdll -lpthread
fi
