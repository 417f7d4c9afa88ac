// SPDX-License-Identifier: MIT

//go:build cgo

package tapkit

/*
#include <tapkit.h>
*/
import "C"

import (
	"sync/atomic"
	"time"
	"unsafe"
)

// LogLevel is the level of a library log line.
type LogLevel int

// The levels, most severe first; a hook set at LevelInfo gets error, warn and info lines.
const (
	LevelError LogLevel = C.TK_LOG_ERROR
	LevelWarn  LogLevel = C.TK_LOG_WARN
	LevelInfo  LogLevel = C.TK_LOG_INFO
	LevelDebug LogLevel = C.TK_LOG_DEBUG
	LevelTrace LogLevel = C.TK_LOG_TRACE
)

// String is "error", "warn", "info", "debug" or "trace".
func (l LogLevel) String() string { return C.GoString(C.tk_log_level_name(C.tk_log_level(l))) }

// Field is one key=value of a log line ("errno" = "16").
type Field struct {
	Key, Value string
}

// Record is one log line of the library. TraceID is the id an *Error of the same call carries
// in its TraceID, so a failure leads to the lines that explain it.
type Record struct {
	Level     LogLevel
	Time      time.Time
	TraceID   string
	Subsystem string // "linux.tun", "linux.netlink", "windows.device", "core.retry", ...
	Message   string
	Fields    []Field
}

type logger struct {
	fn    func(Record)
	level LogLevel
}

var logHook atomic.Pointer[logger]

func currentLogger() *logger { return logHook.Load() }

// SetLogger sends the library's log lines up to level to fn (nil turns logging off, the
// default). It applies to what starts after it: calls by name, and devices opened later (a
// Device keeps the logger it was opened with). fn may be called from any goroutine that calls
// into the package, concurrently; it must not call into tapkit itself. With Go 1.21 or newer,
// SlogHook(logger) gives an fn that writes to a log/slog logger.
func SetLogger(fn func(Record), level LogLevel) {
	if fn == nil {
		logHook.Store(nil)
		return
	}
	logHook.Store(&logger{fn: fn, level: level})
}

//export tkGoLog
func tkGoLog(user unsafe.Pointer, rec *C.tk_log_record) {
	_ = user
	l := currentLogger()
	if l == nil {
		return
	}
	r := Record{
		Level:     LogLevel(rec.level),
		Time:      time.Unix(0, int64(rec.time_ns)),
		TraceID:   C.GoString(rec.trace_id),
		Subsystem: C.GoString(rec.subsystem),
		Message:   C.GoString(rec.message),
	}
	if rec.nfields > 0 {
		for _, f := range unsafe.Slice(rec.fields, int(rec.nfields)) {
			r.Fields = append(r.Fields, Field{Key: C.GoString(f.key), Value: C.GoString(f.value)})
		}
	}
	l.fn(r)
}
