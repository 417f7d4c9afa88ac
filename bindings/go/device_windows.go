// SPDX-License-Identifier: MIT

//go:build windows && cgo

package tapkit

/*
#include "tapkit_go.h"
*/
import "C"

import (
	"os"
	"sync/atomic"
	"time"
	"unsafe"
)

// devOS on Windows: the adapter handle stays inside the library, which keeps four overlapped
// reads and four writes in flight (src/windows/device.c); it is never wrapped in an os.File.
// The device is non-blocking: a Read that finds no frame waits in tk_dev_wait (on the
// library's read event, bounded by the read deadline), which tk_dev_wake ends for Close and for
// a deadline change. A Write finds a free write slot at once unless four writes are still in
// the driver; then it retries after a short sleep, bounded by the write deadline.
type devOS struct {
	rdl atomic.Int64 // read deadline, Unix nanoseconds; 0: none
	wdl atomic.Int64
}

func (d *Device) osInit() error { return nil }

func (d *Device) osClose() {}

// wakeAll ends a wait in tk_dev_wait (the waiter then sees closing or the new deadline).
func (d *Device) wakeAll() {
	d.mu.RLock()
	if !d.closed {
		_ = C.tk_dev_wake(d.dev, nil) // cannot fail on a valid handle but for the OS refusing SetEvent
	}
	d.mu.RUnlock()
}

// remaining is the time left before the deadline dl (Unix ns) in ms for tk_dev_wait, -1 for
// none; expired when it has passed.
func remaining(dl int64) (ms C.int, expired bool) {
	if dl == 0 {
		return -1, false
	}
	left := time.Until(time.Unix(0, dl))
	if left <= 0 {
		return 0, true
	}
	ms64 := (left + time.Millisecond - 1) / time.Millisecond
	if ms64 > 1<<30 {
		ms64 = 1 << 30
	}
	return C.int(ms64), false
}

func (d *Device) readLocked(p []byte) (int, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	for {
		if d.closed || d.closing.Load() {
			return 0, os.ErrClosed
		}
		st := C.tk_go_read(d.devp, unsafe.Pointer(&p[0]), C.size_t(len(p)), d.s)
		if st == C.TK_E_OK {
			return int(d.s.rlen), nil
		}
		if st != C.TK_E_AGAIN && st != C.TK_E_INTERRUPTED {
			return 0, goError(&d.s.rerr)
		}
		ms, expired := remaining(d.rdl.Load())
		if expired {
			return 0, os.ErrDeadlineExceeded
		}
		// Close waits for the shared lock to go: it wakes this wait first.
		st = C.tk_go_wait(d.devp, ms, d.s)
		if st != C.TK_E_OK && st != C.TK_E_TIMEOUT && st != C.TK_E_INTERRUPTED {
			return 0, goError(&d.s.rerr)
		}
		if st == C.TK_E_INTERRUPTED {
			// Woken: by Close (closing is set) or a deadline change. Let a pending Close in.
			d.mu.RUnlock()
			d.mu.RLock()
		}
	}
}

func (d *Device) writeLocked(p []byte) (int, error) {
	pause := 50 * time.Microsecond
	for {
		d.mu.RLock()
		if d.closed || d.closing.Load() {
			d.mu.RUnlock()
			return 0, os.ErrClosed
		}
		st := C.tk_go_write(d.devp, unsafe.Pointer(&p[0]), C.size_t(len(p)), d.s)
		if st == C.TK_E_OK {
			d.mu.RUnlock()
			return len(p), nil
		}
		if st != C.TK_E_AGAIN {
			err := goError(&d.s.werr)
			d.mu.RUnlock()
			return 0, err
		}
		d.mu.RUnlock()
		if _, expired := remaining(d.wdl.Load()); expired {
			return 0, os.ErrDeadlineExceeded
		}
		time.Sleep(pause) // every write slot is still in the driver
		if pause < 5*time.Millisecond {
			pause *= 2
		}
	}
}

func deadline(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// SetReadDeadline sets the deadline for Read and ReadBatch (zero: none); a Read waiting now
// sees the new one at once.
func (d *Device) SetReadDeadline(t time.Time) error {
	d.rdl.Store(deadline(t))
	d.wakeAll()
	return nil
}

// SetWriteDeadline sets the deadline for Write and WriteBatch (zero: none).
func (d *Device) SetWriteDeadline(t time.Time) error {
	d.wdl.Store(deadline(t))
	return nil
}
