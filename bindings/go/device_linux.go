// SPDX-License-Identifier: MIT

//go:build linux && cgo

package tapkit

/*
#include "tapkit_go.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
	"unsafe"
)

// devOS on Linux: the reads and writes wait in Go's poller on a dup of the adapter's fd (so
// deadlines and Close work as for any *os.File). A frame is one read(2) or write(2) on that fd,
// made from Go as os.File makes it: a cgo call per frame cost a tenth of a TAP round trip. Any
// failure but "would block" goes to the library's tk_dev_read/tk_dev_write, which repeat the
// call on the same open file and say what happened (ErrDeviceVanished, ErrLinkDown, ...); a
// buffer too small for a frame goes there directly (the library refuses it with the reason).
// The closures handed to the poller are made once, at open, and take their buffer from
// fields: no allocation per frame.
type devOS struct {
	fd      int      // the library's fd (valid while not closed)
	poll    *os.File // a dup of it, for the poller
	raw     syscall.RawConn
	readFn  func(uintptr) bool
	writeFn func(uintptr) bool
	rbuf    unsafe.Pointer // the buffer of the Read in progress (under rmu)
	rcap    int
	rst     C.tk_status
	wbuf    unsafe.Pointer // the frame of the Write in progress (under wmu)
	wlen    int
	wst     C.tk_status
}

func (d *Device) osInit() error {
	d.fd = int(C.tk_dev_handle(d.dev))
	fd, err := syscall.Dup(d.fd)
	if err != nil {
		return fmt.Errorf("tapkit: poll %s: dup: %w", d.name, err)
	}
	// os.NewFile registers a non-blocking fd with the poller (the dup shares the open file
	// description, non-blocking already; this makes sure).
	if err = syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return fmt.Errorf("tapkit: poll %s: %w", d.name, err)
	}
	d.poll = os.NewFile(uintptr(fd), "tapkit:"+d.name)
	if d.raw, err = d.poll.SyscallConn(); err != nil {
		d.poll.Close()
		return fmt.Errorf("tapkit: poll %s: %w", d.name, err)
	}
	d.readFn = d.pollFn(&d.rst, func(fd int) C.tk_status {
		if d.rcap >= minDirectBuf {
			n, err := syscall.Read(fd, unsafe.Slice((*byte)(d.rbuf), d.rcap))
			if err == nil {
				d.s.rlen = C.size_t(n)
				return C.TK_E_OK
			}
			if err == syscall.EAGAIN || err == syscall.EINTR {
				return C.TK_E_AGAIN
			}
		}
		return C.tk_go_read(d.devp, d.rbuf, C.size_t(d.rcap), d.s)
	})
	d.writeFn = d.pollFn(&d.wst, func(fd int) C.tk_status {
		n, err := syscall.Write(fd, unsafe.Slice((*byte)(d.wbuf), d.wlen))
		if err == nil && n == d.wlen {
			return C.TK_E_OK
		}
		if err == syscall.EAGAIN || err == syscall.EINTR {
			return C.TK_E_AGAIN
		}
		return C.tk_go_write(d.devp, d.wbuf, C.size_t(d.wlen), d.s)
	})
	return nil
}

// minDirectBuf is the smallest read buffer read from Go: a frame header with the PI and virtio-net
// headers; smaller ones go to the library, which refuses them with the reason.
const minDirectBuf = C.TK_VNET_HDR_LEN + 4 + 14

// pollFn makes a poller callback around one frame call: the call runs under the shared lock
// (st becomes TK_E_INVALID_HANDLE once closed), and the poller waits again while it says AGAIN.
func (d *Device) pollFn(st *C.tk_status, call func(fd int) C.tk_status) func(uintptr) bool {
	return func(fd uintptr) bool {
		d.mu.RLock()
		defer d.mu.RUnlock()
		if d.closed {
			*st = C.TK_E_INVALID_HANDLE
			return true
		}
		*st = call(int(fd))
		return *st != C.TK_E_AGAIN && *st != C.TK_E_INTERRUPTED
	}
}

// wakeAll ends the waits in the poller (they then see closing).
func (d *Device) wakeAll() {
	d.mu.RLock()
	if !d.closed {
		d.poll.Close()
	}
	d.mu.RUnlock()
}

func (d *Device) osClose() {}

// finish turns the poller's verdict and the last C status into Read's or Write's result. The
// closures report TK_E_INVALID_HANDLE once the device is closed. A poller error on a device
// not closing is a deadline, or EPOLLERR ("not pollable"), which is what a deleted adapter
// raises: one more call lets the library say which (TK_E_DEVICE_VANISHED).
func (d *Device) finish(werr error, st *C.tk_status, fn func(uintptr) bool, cerr *C.tk_error) error {
	if werr != nil {
		if d.closing.Load() {
			return os.ErrClosed
		}
		if errors.Is(werr, os.ErrDeadlineExceeded) || !fn(uintptr(d.fd)) {
			return werr
		}
	}
	switch *st {
	case C.TK_E_OK:
		return nil
	case C.TK_E_INVALID_HANDLE:
		return os.ErrClosed
	}
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return os.ErrClosed
	}
	return goError(cerr)
}

func (d *Device) readLocked(p []byte) (int, error) {
	d.rbuf, d.rcap = unsafe.Pointer(&p[0]), len(p)
	err := d.finish(d.raw.Read(d.readFn), &d.rst, d.readFn, &d.s.rerr)
	d.rbuf = nil
	if err != nil {
		return 0, err
	}
	return int(d.s.rlen), nil
}

func (d *Device) writeLocked(p []byte) (int, error) {
	d.wbuf, d.wlen = unsafe.Pointer(&p[0]), len(p)
	err := d.finish(d.raw.Write(d.writeFn), &d.wst, d.writeFn, &d.s.werr)
	d.wbuf = nil
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

// SetReadDeadline sets the deadline for Read and ReadBatch (zero: none).
func (d *Device) SetReadDeadline(t time.Time) error {
	return d.setDeadline(t, (*os.File).SetReadDeadline)
}

// SetWriteDeadline sets the deadline for Write and WriteBatch (zero: none).
func (d *Device) SetWriteDeadline(t time.Time) error {
	return d.setDeadline(t, (*os.File).SetWriteDeadline)
}

// setDeadline sets one of the poller's deadlines, which the waits in it apply at once.
func (d *Device) setDeadline(t time.Time, set func(*os.File, time.Time) error) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return os.ErrClosed
	}
	return set(d.poll, t)
}
