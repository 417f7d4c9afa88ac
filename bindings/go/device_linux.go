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
// deadlines and Close work as for any *os.File); the frames themselves go through the
// library's tk_dev_read/tk_dev_write on its non-blocking fd. The closures handed to the poller
// are made once, at open, and take their buffer from fields: no allocation per frame.
type devOS struct {
	poll    *os.File // a dup of the adapter's fd, for the poller only
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
	fd, err := syscall.Dup(int(C.tk_dev_handle(d.dev)))
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
	d.readFn = func(uintptr) bool {
		d.mu.RLock()
		defer d.mu.RUnlock()
		if d.closed {
			d.rst = C.TK_E_INVALID_HANDLE
			return true
		}
		d.rst = C.tk_go_read(d.devp, d.rbuf, C.size_t(d.rcap), d.s)
		return d.rst != C.TK_E_AGAIN && d.rst != C.TK_E_INTERRUPTED
	}
	d.writeFn = func(uintptr) bool {
		d.mu.RLock()
		defer d.mu.RUnlock()
		if d.closed {
			d.wst = C.TK_E_INVALID_HANDLE
			return true
		}
		d.wst = C.tk_go_write(d.devp, d.wbuf, C.size_t(d.wlen), d.s)
		return d.wst != C.TK_E_AGAIN && d.wst != C.TK_E_INTERRUPTED
	}
	return nil
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
		if errors.Is(werr, os.ErrDeadlineExceeded) || !fn(0) {
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
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return os.ErrClosed
	}
	return d.poll.SetReadDeadline(t)
}

// SetWriteDeadline sets the deadline for Write and WriteBatch (zero: none).
func (d *Device) SetWriteDeadline(t time.Time) error {
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		return os.ErrClosed
	}
	return d.poll.SetWriteDeadline(t)
}
