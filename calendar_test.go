package faultline_test

import (
	"testing"
	"time"

	"github.com/faultline/faultline"
)

// The 2026 National Day holiday with its make-up working Saturday, as a
// Chinese company's calendar would have them.
func nationalDay() faultline.Calendar {
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	return faultline.Calendar{
		Enabled: true, Start: 9 * 60, End: 18 * 60, Location: shanghai,
		Weekdays: [7]bool{time.Monday: true, time.Tuesday: true, time.Wednesday: true, time.Thursday: true, time.Friday: true},
		Holidays: map[string]bool{"2026-10-01": true, "2026-10-02": true, "2026-10-05": true},
		Workdays: map[string]bool{"2026-10-10": true}, // a Saturday
	}
}

func TestCalendar(t *testing.T) {
	c := nationalDay()
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, c.Location)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		at, next string
		working  bool
	}{
		{"2026-09-30 10:00", "2026-09-30 10:00", true},  // an ordinary Wednesday
		{"2026-09-30 19:00", "2026-10-06 09:00", false}, // the holiday: Thu, Fri, weekend, Mon are off
		{"2026-10-01 10:00", "2026-10-06 09:00", false},
		{"2026-10-06 08:00", "2026-10-06 09:00", false}, // before hours
		{"2026-10-09 18:30", "2026-10-10 09:00", false}, // Friday evening: the make-up Saturday works
		{"2026-10-10 11:00", "2026-10-10 11:00", true},
		{"2026-10-11 11:00", "2026-10-12 09:00", false}, // an ordinary Sunday
	}
	for _, tt := range tests {
		if got := c.Working(at(tt.at)); got != tt.working {
			t.Errorf("Working(%s) = %v", tt.at, got)
		}
		if got := c.Next(at(tt.at)); !got.Equal(at(tt.next)) {
			t.Errorf("Next(%s) = %s, want %s", tt.at, got.In(c.Location).Format("2006-01-02 15:04"), tt.next)
		}
	}
	if off := (faultline.Calendar{}); !off.Working(at("2026-10-01 03:00")) {
		t.Error("a disabled calendar always works")
	}
}
