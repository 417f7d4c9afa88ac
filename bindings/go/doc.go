// SPDX-License-Identifier: MIT

// Package tapkit makes TAP and TUN virtual network adapters just work from Go, on Linux
// (/dev/net/tun) and Windows (TAP-Windows6, tap0901): open one as an io.ReadWriteCloser with
// deadlines, configure it (MTU, up, addresses, MAC, offloads, persistence), list adapters, and
// ask the doctor why one does not work. It is a cgo binding over the tapkit C library
// (libtapkit, found with pkg-config; statically linked).
//
// Every failure is an *Error that carries the cause (a Cause such as ErrAdapterBusy), the
// operation and object, the raw OS code and the concrete fix. It works with the standard
// library: errors.Is(err, fs.ErrPermission), fs.ErrNotExist, fs.ErrExist and
// os.ErrDeadlineExceeded where they apply, errors.Is(err, tapkit.ErrAdapterBusy) for the
// cause, and errors.As(err, &errno) to a syscall.Errno when the OS gave one (an errno on Linux,
// a Win32 error code on Windows).
//
// Tunnel runs the tapkit tunnel engine (an L2 tunnel: VXLAN, or sealed) inside the program:
// NewTunnel from a TunnelConfig, Run(ctx), Stats, Reload, Close, on Linux and on Windows
// (plain mode; sealed where the library's build has it; no network namespaces there).
//
// On Windows, reads and writes go through the library's overlapped I/O: the adapter handle is
// never wrapped in an os.File (the classic source of "The handle is invalid", error 6, in Go
// programs). Close from another goroutine ends a blocked Read on both systems.
//
// The package needs cgo (CGO_ENABLED=1 and a C compiler: gcc on Linux, x86_64-w64-mingw32-gcc
// when cross-compiling for Windows) and libtapkit; see the README of bindings/go.
package tapkit
