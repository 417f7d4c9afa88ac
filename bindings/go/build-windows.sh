#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Cross-compiles the Go binding for Windows with cgo and mingw-w64 against the Windows build
# tree (make windows: BUILD_WIN/libtapkit.a and BUILD_WIN/tapkit-uninstalled.pc, which links
# statically): the test binary BUILD_WIN/go/tapkit-go.test.exe and the examples
# (BUILD_WIN/go/arpping.exe), each checked to import only Windows' own DLLs.
# tests/windows/test_go.sh runs them under Wine. Offline (GOPROXY=off: standard library only).
# Usage: bindings/go/build-windows.sh [BUILD_WIN]   (default: build-win). Exit 77 without Go.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
BUILD=$(cd "${1:-${TK_BUILD_WIN:-$here/../../build-win}}" && pwd) # relative to the caller
cd "$here"
command -v go >/dev/null || { echo "SKIP: go missing (apt-get install golang-go)"; exit 77; }
[[ -f $BUILD/tapkit-uninstalled.pc && -f $BUILD/libtapkit.a ]] || {
	echo "FAIL: $BUILD has no tapkit-uninstalled.pc or libtapkit.a (run make windows first)" >&2
	exit 1
}
# shellcheck source=bindings/go/goenv.sh
source "$here/goenv.sh" "$BUILD"
export GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc
mkdir -p "$BUILD/go"
go vet ./...
go test -c -o "$BUILD/go/tapkit-go.test.exe" .
go build -o "$BUILD/go/arpping.exe" ./examples/arpping
bash ../../scripts/check-win-imports.sh "$BUILD/go/tapkit-go.test.exe" "$BUILD/go/arpping.exe"
