// SPDX-License-Identifier: MIT

//go:build cgo

package tapkit

// The tests that run on every system (Linux natively, Windows under Wine): causes, errors and
// the standard library, the logger hook. Adapter tests: tapkit_linux_test.go (network
// namespaces), tapkit_windows_test.go (the emulated tap0901 driver).

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// wantCause checks err is an *Error with cause c (via errors.Is) and a fix.
func wantCause(t *testing.T, err error, c Cause) *Error {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", c.Name())
	}
	if !errors.Is(err, c) {
		t.Fatalf("error %v: not %s", err, c.Name())
	}
	var te *Error
	if !errors.As(err, &te) {
		t.Fatalf("error %v is not a *tapkit.Error", err)
	}
	if te.Remedy == "" || te.Message == "" || te.Op == "" {
		t.Fatalf("error %+v lacks op, message or remedy", te)
	}
	t.Logf("%s: %v\n  fix: %s", c.Name(), err, te.Remedy)
	return te
}

func TestCausesMatchLibrary(t *testing.T) {
	for c := Cause(1); c < causeCount; c++ {
		if !strings.HasPrefix(c.Name(), "TK_E_") || c.Message() == "" || c.Remedy() == "" {
			t.Errorf("cause %d: name %q, message %q, remedy %q", int(c), c.Name(), c.Message(), c.Remedy())
		}
	}
	if n := Cause(causeCount).Name(); n != "TK_E_UNKNOWN" {
		t.Errorf("causeCount %d is a known cause %s: causes.go is behind include/tapkit.h", causeCount, n)
	}
	for c, name := range map[Cause]string{ErrAdapterBusy: "TK_E_ADAPTER_BUSY",
		ErrTunMissing: "TK_E_TUN_MISSING", ErrInterrupted: "TK_E_INTERRUPTED",
		ErrNotTAP: "TK_E_NOT_TAP", ErrConfig: "TK_E_CONFIG"} {
		if c.Name() != name {
			t.Errorf("%d is %s, want %s", int(c), c.Name(), name)
		}
	}
}

// A Cause prints as its name with %v and %s (the promise); the meaning is Message.
func TestCauseFormat(t *testing.T) {
	for _, f := range []string{"%v", "%s"} {
		if got := fmt.Sprintf(f, ErrAdapterBusy); got != "TK_E_ADAPTER_BUSY" {
			t.Errorf("Sprintf(%q, ErrAdapterBusy) = %q, want TK_E_ADAPTER_BUSY", f, got)
		}
	}
	if got := ErrAdapterBusy.Message(); got != "the adapter is in use by another process" {
		t.Errorf("Message() = %q", got)
	}
}

// errors.Is against the standard library's errors, by cause and by the raw OS code.
func TestStdlibErrors(t *testing.T) {
	for _, tc := range []struct {
		c      Cause
		target error
		want   bool
	}{
		{ErrNoPrivilege, fs.ErrPermission, true},
		{ErrOwnerMismatch, fs.ErrPermission, true},
		{ErrAdapterNotFound, fs.ErrNotExist, true},
		{ErrTunMissing, fs.ErrNotExist, true},
		{ErrExists, fs.ErrExist, true},
		{ErrTimeout, os.ErrDeadlineExceeded, true},
		{ErrAdapterBusy, fs.ErrPermission, false},
		{ErrAdapterBusy, fs.ErrNotExist, false},
		{ErrExists, fs.ErrNotExist, false},
	} {
		err := error(&Error{Cause: tc.c, Op: "open", OSKind: "none"})
		if got := errors.Is(err, tc.target); got != tc.want {
			t.Errorf("errors.Is(%v, %v) = %v, want %v", tc.c, tc.target, got, tc.want)
		}
	}
	// The raw code: an errno on Linux, a Win32 code on Windows.
	kind, code := "errno", int64(syscall.EACCES)
	if isWindows {
		kind, code = "win32", 5 // ERROR_ACCESS_DENIED
	}
	err := error(&Error{Cause: ErrIO, Op: "open", OSKind: kind, OSCode: code})
	if !errors.Is(err, fs.ErrPermission) {
		t.Errorf("%s %d is not fs.ErrPermission", kind, code)
	}
	var errno syscall.Errno
	if !errors.As(err, &errno) || int64(errno) != code {
		t.Errorf("errors.As to syscall.Errno: %v, %d", errors.As(err, &errno), errno)
	}
	if !errors.Is(err, syscall.Errno(code)) || errors.Is(err, syscall.Errno(code+1)) {
		t.Errorf("errors.Is(err, syscall.Errno(%d)) wrong", code)
	}
	none := error(&Error{Cause: ErrIO, Op: "open", OSKind: "none"})
	if errors.As(none, &errno) {
		t.Errorf("errors.As to syscall.Errno succeeded without an OS code")
	}
}

// The logger hook: a failure's TraceID leads to real log lines.
func TestLoggerTraceID(t *testing.T) {
	var mu sync.Mutex
	var recs []Record
	SetLogger(func(r Record) {
		mu.Lock()
		recs = append(recs, r)
		mu.Unlock()
	}, LevelDebug)
	defer SetLogger(nil, LevelError)
	_, err := Get(missingAdapter)
	te := wantCause(t, err, ErrAdapterNotFound)
	if te.TraceID == "" {
		t.Fatalf("no trace id in %+v", te)
	}
	mu.Lock()
	defer mu.Unlock()
	found := 0
	for _, r := range recs {
		if r.TraceID == te.TraceID {
			found++
			t.Logf("log: %s %s %s: %s %v", r.Time.Format("15:04:05.000"), r.Level, r.Subsystem, r.Message, r.Fields)
			if r.Time.IsZero() || r.Message == "" || r.Subsystem == "" {
				t.Errorf("record %+v lacks time, message or subsystem", r)
			}
		}
	}
	if found == 0 {
		t.Fatalf("no log line with trace id %s among %d records", te.TraceID, len(recs))
	}
}

func TestNameInvalid(t *testing.T) {
	_, err := Open("a/b", nil)
	wantCause(t, err, ErrNameInvalid)
}

func statsT(t *testing.T, tun *Tunnel) *TunnelStats {
	t.Helper()
	s, err := tun.Stats()
	if err != nil {
		t.Fatalf("Stats(%s): %v", tun.Name(), err)
	}
	return s
}

// within is what ch gives within d; the test fails if it gives nothing.
func within(t *testing.T, ch <-chan error, d time.Duration, what string) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(d):
		t.Fatalf("%s: still waiting after %v", what, d)
		return nil
	}
}
