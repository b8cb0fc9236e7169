// crm devstore: copied into FerretDB's internal/util/fsql package by patch_ferretdb.py.

package fsql

import (
	"context"
	"log/slog"
)

// crmDebug logs a statement at debug level, and formats nothing unless debug is on.
//
// Stock FerretDB v1 called `l.With(args...)` before every statement; slog's text handler
// formats the attributes there, at any level, so every insert and update quoted its whole
// document as a log string that was then thrown away (13% of the store's CPU under a write
// load at the default warn level).
func crmDebug(ctx context.Context, l *slog.Logger, fields []any, message func() string) {
	if !l.Enabled(ctx, slog.LevelDebug) {
		return
	}

	l.With(fields...).DebugContext(ctx, message())
}
