package faultline_test

import (
	"errors"
	"testing"
	"time"

	"github.com/faultline/faultline"
)

func TestOccurrenceSnoozeAndConfirm(t *testing.T) {
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	o := faultline.Occurrence{State: faultline.OccPending, DueAt: now, RemindAt: now, EscalateAt: now.Add(2 * time.Hour)}
	s, err := o.Snooze(time.Hour, now)
	if err != nil || !s.RemindAt.Equal(now.Add(time.Hour)) || s.Snoozes != 1 {
		t.Fatalf("snooze: %+v, %v", s, err)
	}
	if _, err := o.Snooze(4*time.Hour, now); !isCode(err, "duty.snooze_too_long") {
		t.Fatalf("snoozing past the escalation: %v", err)
	}
	o.Snoozes = faultline.MaxSnoozes
	if _, err := o.Snooze(time.Hour, now); !isCode(err, "duty.snooze_limit") {
		t.Fatalf("snoozing too often: %v", err)
	}
	if _, err := o.Confirm(false, "U1", " ", now); !isCode(err, "duty.need_reason") {
		t.Fatalf("can't without a reason: %v", err)
	}
	done, err := o.Confirm(true, "U1", "NAS /backup/finance, 2.1 GB", now)
	if err != nil || done.State != faultline.OccDone || done.Note == "" || done.DoneBy != "U1" {
		t.Fatalf("done: %+v, %v", done, err)
	}
	if _, err := done.Confirm(true, "U1", "", now); !isCode(err, "duty.not_pending") {
		t.Fatalf("done twice: %v", err)
	}
}

func isCode(err error, code string) bool {
	var e *faultline.Error
	return errors.As(err, &e) && e.Code == code
}
