// SPDX-License-Identifier: MIT

//go:build go1.21 && cgo

package tapkit

import (
	"context"
	"log/slog"
)

// SlogHook returns a hook for SetLogger that writes each record to l, at the matching slog
// level (trace is slog.LevelDebug-4), with trace_id, subsystem and the record's fields as
// attributes: tapkit.SetLogger(tapkit.SlogHook(slog.Default()), tapkit.LevelInfo).
func SlogHook(l *slog.Logger) func(Record) {
	return func(r Record) {
		level := slog.LevelDebug - 4
		switch r.Level {
		case LevelError:
			level = slog.LevelError
		case LevelWarn:
			level = slog.LevelWarn
		case LevelInfo:
			level = slog.LevelInfo
		case LevelDebug:
			level = slog.LevelDebug
		}
		ctx := context.Background()
		h := l.Handler()
		if !h.Enabled(ctx, level) {
			return
		}
		rec := slog.NewRecord(r.Time, level, r.Message, 0)
		rec.AddAttrs(slog.String("trace_id", r.TraceID), slog.String("subsystem", r.Subsystem))
		for _, f := range r.Fields {
			rec.AddAttrs(slog.String(f.Key, f.Value))
		}
		_ = h.Handle(ctx, rec)
	}
}
