// SPDX-License-Identifier: MIT

//go:build !cgo

package tapkit

// This build has cgo turned off (CGO_ENABLED=0, or a cross-compile without CC set), and
// tapkit is a binding over the C library libtapkit: it cannot work without cgo. Build with
//
//	CGO_ENABLED=1 (Linux: apt-get install gcc pkg-config; Windows from Linux:
//	apt-get install gcc-mingw-w64-x86-64 and CC=x86_64-w64-mingw32-gcc)
//
// and libtapkit installed (make install) or PKG_CONFIG_PATH set to a tapkit build tree:
// see bindings/go/README.md, "Building".
const _ = tapkit_needs_cgo__build_with_CGO_ENABLED_1_and_a_C_compiler__see_README_Building
