// SPDX-License-Identifier: MIT

//go:build cgo

package tapkit

import (
	"errors"
	"io/fs"
	"os"
	"runtime"
	"syscall"
)

// Is lets errors.Is match the standard library's errors a cause stands for:
//
//	fs.ErrPermission      ErrNoPrivilege, ErrOwnerMismatch
//	fs.ErrNotExist        ErrAdapterNotFound, ErrTunMissing, ErrDriverNotInstalled, ErrDriverFilesMissing
//	fs.ErrExist           ErrExists
//	os.ErrDeadlineExceeded ErrTimeout
func (c Cause) Is(target error) bool {
	switch target {
	case fs.ErrPermission:
		return c == ErrNoPrivilege || c == ErrOwnerMismatch
	case fs.ErrNotExist:
		return c == ErrAdapterNotFound || c == ErrTunMissing || c == ErrDriverNotInstalled ||
			c == ErrDriverFilesMissing
	case fs.ErrExist:
		return c == ErrExists
	case os.ErrDeadlineExceeded:
		return c == ErrTimeout
	}
	return false
}

// errno is the OS code as a syscall.Errno when it is one on this system: an errno (also from
// netlink) on Linux, a Win32 error code on Windows.
func (e *Error) errno() (syscall.Errno, bool) {
	switch e.OSKind {
	case "errno", "netlink":
		if runtime.GOOS != "windows" {
			return syscall.Errno(e.OSCode), true
		}
	case "win32":
		if runtime.GOOS == "windows" {
			return syscall.Errno(e.OSCode), true
		}
	}
	return 0, false
}

// Is lets errors.Is(err, syscall.EBUSY) match the raw OS code too (a Win32 code on Windows:
// errors.Is(err, syscall.Errno(31))), and what that code stands for (EACCES is
// fs.ErrPermission). The cause's own matches come through Unwrap.
func (e *Error) Is(target error) bool {
	code, ok := e.errno()
	if !ok {
		return false
	}
	var errno syscall.Errno
	if errors.As(target, &errno) {
		return errno == code
	}
	return code.Is(target)
}

// As lets errors.As(err, &errno) give the raw OS code as a syscall.Errno (on Windows
// golang.org/x/sys/windows.Errno is the same type) where the OS gave one.
func (e *Error) As(target any) bool {
	if p, ok := target.(*syscall.Errno); ok {
		if code, ok := e.errno(); ok {
			*p = code
			return true
		}
	}
	return false
}

// canceledError is a retry ended by its context: Unwrap gives ctx.Err() (context.Canceled or
// context.DeadlineExceeded), and errors.Is/As also see the last attempt's *Error.
type canceledError struct {
	ctxErr error
	last   error
}

func (e *canceledError) Error() string {
	return "tapkit: open retry stopped (" + e.ctxErr.Error() + "); last attempt: " + e.last.Error()
}
func (e *canceledError) Unwrap() error        { return e.ctxErr }
func (e *canceledError) Is(target error) bool { return errors.Is(e.last, target) }
func (e *canceledError) As(target any) bool   { return errors.As(e.last, target) }
