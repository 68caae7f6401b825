package storage

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"gorm.io/gorm/logger"
)

// slowQuery is how long a statement may take before it is logged.
const slowQuery = 500 * time.Millisecond

// gormLog adapts gorm's logger to slog. Failed statements are not logged
// here: their errors are returned, and whoever handles them logs them
// once. gorm's own notes are formatted (gorm passes printf arguments, which
// slog's JSON handler cannot encode), and slow statements are warned about
// without their parameters, which may hold people's text.
type gormLog struct{ log *slog.Logger }

func (g gormLog) LogMode(logger.LogLevel) logger.Interface { return g }

func (g gormLog) Info(ctx context.Context, msg string, data ...any) {
	g.log.DebugContext(ctx, fmt.Sprintf(msg, data...), "component", "gorm")
}

func (g gormLog) Warn(ctx context.Context, msg string, data ...any) {
	g.log.WarnContext(ctx, fmt.Sprintf(msg, data...), "component", "gorm")
}

func (g gormLog) Error(ctx context.Context, msg string, data ...any) {
	// gorm reports here what it also returns (a failed connection): the
	// caller logs the returned error.
	g.log.DebugContext(ctx, fmt.Sprintf(msg, data...), "component", "gorm")
}

func (g gormLog) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), _ error) {
	if took := time.Since(begin); took > slowQuery {
		sql, rows := fc()
		g.log.WarnContext(ctx, "slow SQL statement", "took", took, "sql", sql, "rows", rows)
	}
}

// ParamsFilter keeps parameters out of logged SQL.
func (g gormLog) ParamsFilter(_ context.Context, sql string, _ ...any) (string, []any) {
	return sql, nil
}
