// SPDX-License-Identifier: MIT

//go:build windows && cgo

package tapkit

/*
#include "tapkit_go.h"
#include <stdint.h>
#include <windows.h>

// The engine's wake-up event (tk_tunnel_handle on Windows): set from any thread, it wakes a
// waiting tk_tunnel_dispatch, which returns TK_E_INTERRUPTED and leaves the tunnel running.
static uintptr_t tk_go_tunnel_event(tk_tunnel *t)
{
	return (uintptr_t)tk_tunnel_handle(t);
}

static void tk_go_set_event(uintptr_t h)
{
	SetEvent((HANDLE)h);
}

// The tunnel's thread waits here: without t on the wake-up event alone (1: woken; 0: the time
// is up; -code: WaitForSingleObject failed), with t in tk_tunnel_dispatch, which waits on the
// adapter, the socket, the timer and the wake-up together (3: dispatched, its status in
// err->status; the caller looks at its queue after each dispatch, since a wake-up that came
// with events is consumed without its own status).
static int tk_go_tunnel_wait(tk_tunnel *t, uintptr_t h, int timeout_ms, tk_error *err)
{
	if (t) {
		err->status = tk_tunnel_dispatch(t, timeout_ms, err);
		return 3;
	}
	DWORD w = WaitForSingleObject((HANDLE)h, timeout_ms < 0 ? INFINITE : (DWORD)timeout_ms);
	if (w == WAIT_OBJECT_0)
		return 1;
	if (w == WAIT_TIMEOUT)
		return 0;
	return -(int)GetLastError();
}
*/
import "C"

import (
	"os"
	"syscall"
)

// tunnelOS on Windows: no handle can stand for the adapter, the socket and the timer together
// (include/tapkit.h, tk_tunnel_handle), so the tunnel's thread waits inside tk_tunnel_dispatch
// and the binding wakes it by setting the engine's wake-up event, which leaves the tunnel
// running (tk_tunnel_stop would end it for good: Run again after a cancel must carry on).
// Between drives the thread waits on that event alone. The event belongs to the tunnel:
// close forgets it (under Tunnel.mu) before release frees the tunnel, so no signal comes late.
type tunnelOS struct {
	event C.uintptr_t // 0 until attach and after close
}

// tunnelNetns: Windows has no network namespaces; a tunnel uses the host's stack.
type tunnelNetns struct{}

func newTunnelOS() (tunnelOS, error)    { return tunnelOS{}, nil }
func callerNetns() (tunnelNetns, error) { return tunnelNetns{}, nil }
func (n tunnelNetns) enter() error      { return nil }

// attach takes the engine's wake-up event once the tunnel exists (on its thread, before
// NewTunnel returns: nothing signals before).
func (o *tunnelOS) attach(t *C.tk_tunnel) { o.event = C.tk_go_tunnel_event(t) }

// signal wakes the tunnel's thread (under Tunnel.mu).
func (o *tunnelOS) signal() {
	if o.event != 0 {
		C.tk_go_set_event(o.event)
	}
}

// close forgets the event (under Tunnel.mu); tk_tunnel_free closes it.
func (o *tunnelOS) close() { o.event = 0 }

// wait waits up to ms (-1: without limit) for a wake-up or, with t, work; see
// tk_go_tunnel_wait. With t it reports woken each time: the caller's queue is looked at after
// every dispatch.
func (o *tunnelOS) wait(t *C.tk_tunnel, ms int, e *C.tk_error) (woken, dispatched bool, err error) {
	rc := C.tk_go_tunnel_wait(t, o.event, C.int(ms), e)
	if rc < 0 {
		return false, false, os.NewSyscallError("WaitForSingleObject", syscall.Errno(-rc))
	}
	return rc&1 != 0, rc&2 != 0, nil
}
