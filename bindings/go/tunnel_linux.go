// SPDX-License-Identifier: MIT

//go:build linux && cgo

package tapkit

/*
#ifndef _GNU_SOURCE
#define _GNU_SOURCE // setns
#endif
#include "tapkit_go.h"
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

static int tk_go_eventfd(void)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int tk_go_setns(int fd)
{
	return setns(fd, CLONE_NEWNET) == 0 ? 0 : errno;
}

// The tunnel's thread waits here, in one call: for the binding's wake-up (bit 1: consumed) and,
// with t, for the engine's handle (bit 2: then dispatched without waiting, its status in
// err->status). -errno when poll(2) fails; 0 on EINTR or when the time is up.
static int tk_go_tunnel_wait(tk_tunnel *t, int wake, int timeout_ms, tk_error *err)
{
	struct pollfd p[2] = { { .fd = wake, .events = POLLIN },
			       { .fd = t ? (int)tk_tunnel_handle(t) : -1, .events = POLLIN } };
	int n = poll(p, 2, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	int r = 0;
	if (p[0].revents) {
		uint64_t v;
		ssize_t got = read(wake, &v, sizeof(v)); // EAGAIN: consumed already
		(void)got;
		r |= 1;
	}
	if (p[1].revents) {
		err->status = tk_tunnel_dispatch(t, 0, err);
		r |= 2;
	}
	return r;
}
*/
import "C"

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
	"unsafe"
)

// tunnelOS on Linux: an eventfd wakes the tunnel's thread, which waits in poll(2) on it and on
// the engine's handle (an epoll fd).
type tunnelOS struct {
	wake int // -1 once closed
}

func newTunnelOS() (tunnelOS, error) {
	fd := int(C.tk_go_eventfd())
	if fd < 0 {
		return tunnelOS{wake: -1}, os.NewSyscallError("eventfd", syscall.Errno(-fd))
	}
	return tunnelOS{wake: fd}, nil
}

// attach: on Linux the wake-up is the binding's own eventfd, made by newTunnelOS.
func (o *tunnelOS) attach(t *C.tk_tunnel) {}

// signal wakes the tunnel's thread (under Tunnel.mu).
func (o *tunnelOS) signal() {
	if o.wake >= 0 {
		one := uint64(1)
		_, _ = syscall.Write(o.wake, (*[8]byte)(unsafe.Pointer(&one))[:])
	}
}

// close closes the wake-up (under Tunnel.mu).
func (o *tunnelOS) close() {
	if o.wake >= 0 {
		syscall.Close(o.wake)
	}
	o.wake = -1
}

// wait waits up to ms (-1: without limit) for a wake-up or, with t, work; see tk_go_tunnel_wait.
func (o *tunnelOS) wait(t *C.tk_tunnel, ms int, e *C.tk_error) (woken, dispatched bool, err error) {
	rc := C.tk_go_tunnel_wait(t, C.int(o.wake), C.int(ms), e)
	if rc < 0 {
		return false, false, os.NewSyscallError("poll", syscall.Errno(-rc))
	}
	return rc&1 != 0, rc&2 != 0, nil
}

// tunnelNetns is a network namespace: the one of the thread that called NewTunnel.
type tunnelNetns struct {
	f *os.File
}

func threadNetnsPath() string { return fmt.Sprintf("/proc/self/task/%d/ns/net", syscall.Gettid()) }

// callerNetns is the calling thread's network namespace.
func callerNetns() (tunnelNetns, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	f, err := os.Open(threadNetnsPath())
	if err != nil {
		return tunnelNetns{}, fmt.Errorf("tapkit: tunnel: the calling thread's network namespace: %w", err)
	}
	return tunnelNetns{f: f}, nil
}

// enter moves the calling (locked) thread into the namespace if it is in another one, and
// closes it.
func (n tunnelNetns) enter() error {
	defer n.f.Close()
	var want, have syscall.Stat_t
	if err := syscall.Fstat(int(n.f.Fd()), &want); err != nil {
		return os.NewSyscallError("fstat", err)
	}
	if err := syscall.Stat(threadNetnsPath(), &have); err != nil {
		return os.NewSyscallError("stat", err)
	}
	if want.Dev == have.Dev && want.Ino == have.Ino {
		return nil
	}
	if e := C.tk_go_setns(C.int(n.f.Fd())); e != 0 {
		return fmt.Errorf("tapkit: tunnel: enter the network namespace of the thread that called NewTunnel: %w",
			os.NewSyscallError("setns", syscall.Errno(e)))
	}
	return nil
}
