#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# The Go binding's checks, offline (standard library only: GOPROXY=off): gofmt, go vet, go test.
# cgo finds the library through pkg-config: BUILD_DIR/tapkit-uninstalled.pc (libtapkit.a and the
# source tree's include/). As root the tests run in a network namespace of their own (see
# tapkit_test.go); without root the tests that need adapters are skipped.
# Usage: bindings/go/test.sh [BUILD_DIR]   (default: build). Exit 77 (skip) without Go.
set -euo pipefail

cd "$(dirname "$0")"
BUILD=$(cd "${1:-${TK_BUILD_DIR:-../../build}}" && pwd)

if ! command -v go >/dev/null; then
	echo "SKIP: go missing (apt-get install golang-go)"
	exit 77
fi
[[ -f $BUILD/tapkit-uninstalled.pc && -f $BUILD/libtapkit.a ]] || {
	echo "FAIL: $BUILD has no tapkit-uninstalled.pc or libtapkit.a (configure and build first)" >&2
	exit 1
}
export PKG_CONFIG_PATH=$BUILD GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local CGO_ENABLED=1
export GOCACHE=$BUILD/go-cache GOPATH=$BUILD/go-path

unformatted=$(gofmt -l .)
if [[ -n $unformatted ]]; then
	echo "FAIL: gofmt -l: $unformatted (run gofmt -w bindings/go)"
	exit 1
fi
go vet ./...
timeout 300 go test -count=1 -v ./...
