// SPDX-License-Identifier: MIT

//go:build windows && cgo

package tapkit

/*
#include "tapkit_go.h"
*/
import "C"

// The tunnel engine is Linux only for now (its Windows event loop is not written): its C calls
// fail with TK_E_UNSUPPORTED, and NewTunnel stops before them.

type tunnelOS struct{}

type tunnelNetns struct{}

func errTunnelUnsupported() error {
	return &Error{Cause: ErrUnsupported, Op: "tunnel", Object: "tunnel", OSKind: "none",
		Message: "the tunnel engine is not available on Windows yet",
		Remedy:  "run the tunnel on Linux (docs/tunnel.md)"}
}

func newTunnelOS() (tunnelOS, error)    { return tunnelOS{}, errTunnelUnsupported() }
func (o *tunnelOS) signal()             {}
func (o *tunnelOS) close()              {}
func callerNetns() (tunnelNetns, error) { return tunnelNetns{}, errTunnelUnsupported() }
func (n tunnelNetns) enter() error      { return nil }

func (o *tunnelOS) wait(t *C.tk_tunnel, ms int, e *C.tk_error) (bool, bool, error) {
	return false, false, errTunnelUnsupported()
}
