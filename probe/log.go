package probe

import (
	"context"
	"fmt"
	"log/slog"
)

// probingLogger routes pro-bing's printf-style logging into slog. pro-bing
// logs a failed send or an unparsable reply as "FATAL" and carries on, so
// Fatalf and Errorf are warnings here.
type probingLogger struct{ log *slog.Logger }

func (l probingLogger) Fatalf(format string, v ...any) { l.emit(slog.LevelWarn, format, v) }
func (l probingLogger) Errorf(format string, v ...any) { l.emit(slog.LevelWarn, format, v) }
func (l probingLogger) Warnf(format string, v ...any)  { l.emit(slog.LevelWarn, format, v) }
func (l probingLogger) Infof(format string, v ...any)  { l.emit(slog.LevelDebug, format, v) }
func (l probingLogger) Debugf(format string, v ...any) { l.emit(slog.LevelDebug, format, v) }

func (l probingLogger) emit(level slog.Level, format string, v []any) {
	ctx := context.Background()
	if l.log.Enabled(ctx, level) {
		l.log.Log(ctx, level, "pro-bing", "detail", fmt.Sprintf(format, v...))
	}
}
