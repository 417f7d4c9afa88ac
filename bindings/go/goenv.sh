# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# Sourced by test.sh and build-windows.sh: the Go environment for building against the tapkit
# build tree BUILD (its tapkit-uninstalled.pc), offline, with the caches inside BUILD.
# Go's build cache keys on the pkg-config *flags*, not on libtapkit.a: the library's hash goes
# into CGO_CFLAGS so a rebuilt library never leaves a stale test binary behind.
BUILD=${1:?usage: source goenv.sh BUILD}
export PKG_CONFIG_PATH=$BUILD GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local CGO_ENABLED=1
export GOCACHE=$BUILD/go-cache GOPATH=$BUILD/go-path
lib_hash=$(cat "$BUILD/libtapkit.a" "$BUILD/tapkit-uninstalled.pc" | sha256sum | cut -c1-16)
export CGO_CFLAGS="-O2 -g -DTK_GO_LIB_HASH=$lib_hash"
