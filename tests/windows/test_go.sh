#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Go binding on Windows: its test binary, cross-compiled with cgo and mingw-w64 against
# build-win/libtapkit.a (bindings/go/build-windows.sh), runs under Wine against the emulated
# tap0901 driver (emulated-driver/: two cross-connected adapters). Covered: open by name, GUID
# and first free; frames both ways byte for byte; busy (31 through errors.As) and retry under a
# context; not found; wrong GUID; deadlines and Close ending a blocked Read. Then the example
# arpping.exe answers an ARP request and a ping written to the other adapter.
# shellcheck source=tests/windows/lib.sh
source "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/../.." && pwd)
rc=0 errout=""
bash "$root/bindings/go/build-windows.sh" "$TK_BUILD_WIN" || rc=$?
if ((rc == 77)); then
	echo "$(basename "$0"): SKIP (no Go toolchain: apt-get install golang-go)"
	exit 0
fi
((rc == 0)) || { echo "$(basename "$0"): cannot cross-compile the Go binding"; exit 1; }
emu_build
GO_TEST=$TK_BUILD_WIN/go/tapkit-go.test.exe
ARPPING=$TK_BUILD_WIN/go/arpping.exe
wine_begin

emu_install "$out_dir"

log=$(mktemp)
grc=0
TAPKIT_GO_EMU=1 WINEDEBUG=-all timeout 300 wine "$GO_TEST" -test.v -test.count=1 >"$log" 2>&1 || grc=$?
for t in TestWinOpen TestWinFrames TestWinBusy TestWinNotFound TestWinWrongGUID \
	TestWinCloseUnblocksRead TestCausesMatchLibrary TestCauseFormat TestStdlibErrors \
	TestLoggerTraceID TestNameInvalid; do
	check "go test under Wine: $t" grep -q -- "^--- PASS: $t " "$log"
done
check "go test under Wine: the binary exits 0 (PASS)" test "$grc" -eq 0
if ((grc != 0)); then cat "$log"; else grep -E '^\s+tapkit_windows_test.go:[0-9]+: (A|B):|first free|Close ended|retry' "$log" | head -8; fi
rm -f "$log"

# The example answers ARP and ping on "emu one"; frames.exe writes them into "emu two" (the
# driver hands them across) and reads the replies.
alog=$(mktemp)
WINEDEBUG=-all timeout 60 wine "$ARPPING" -adapter "emu one" -ip 10.250.9.1 -count 2 >"$alog" 2>&1 &
apid=$!
sleep 3
frc=0
fout=$(WINEDEBUG=-all timeout 60 wine "$ARPPING" -probe "emu two" -target 10.250.9.1 2>&1) || frc=$?
wait "$apid" || true
check "arpping.exe answers an ARP request written to the other adapter" grep -q "ARP reply from 10.250.9.1" <<<"$fout"
check "arpping.exe answers a ping written to the other adapter" grep -q "echo reply from 10.250.9.1" <<<"$fout"
check "arpping.exe says what it does" grep -q "answered" "$alog"
((frc == 0)) || { echo "probe: $fout"; cat "$alog"; }
rm -f "$alog"
finish
