package commands

import (
	"testing"
	"time"
)

// A report's time typed as HH:MM is the last such time: today's, or
// yesterday's just after midnight; a full time ahead of now is refused.
func TestParseWhen(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	now := time.Date(2026, 12, 2, 0, 10, 0, 0, shanghai)
	f := &incidentFlow{flow: &flow{now: func() time.Time { return now }, set: Settings{Location: shanghai}}}
	for _, c := range []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"", now, true},
		{"00:05", time.Date(2026, 12, 2, 0, 5, 0, 0, shanghai), true},
		{"23:50", time.Date(2026, 12, 1, 23, 50, 0, 0, shanghai), true},
		{"2026-12-01 23:50", time.Date(2026, 12, 1, 23, 50, 0, 0, shanghai), true},
		{"2026-12-02 09:00", time.Time{}, false},
		{"25:99", time.Time{}, false},
	} {
		got, ok := f.parseWhen(c.in)
		if ok != c.ok || ok && !got.Equal(c.want) {
			t.Errorf("parseWhen(%q) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}
