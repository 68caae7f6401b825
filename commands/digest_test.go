package commands_test

import (
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/catalog"
	"github.com/faultline/faultline/commands"
	"github.com/faultline/faultline/storage/storagetest"
)

// The weekly digest's figures for a known week, in both languages.
func TestDigestGolden(t *testing.T) {
	from := time.Date(2026, 11, 16, 1, 0, 0, 0, time.UTC) // Monday 09:00 in Shanghai
	at := func(day, hour, min int) time.Time {
		return from.AddDate(0, 0, day).Add(time.Duration(hour)*time.Hour + time.Duration(min)*time.Minute)
	}
	fault := func(n int64, created time.Time, take, close time.Duration, target, hop string) faultline.Fault {
		f := faultline.Fault{Number: n, Target: target, Hop: hop, CreatedAt: created}
		if take > 0 {
			f.TakenAt = created.Add(take)
		}
		if close > 0 {
			f.ClosedAt = created.Add(close)
		}
		return f
	}
	w := faultline.Week{
		From: from, To: from.AddDate(0, 0, 7),
		Faults: []faultline.Fault{
			fault(1, at(-2, 3, 0), 0, 50*time.Hour, "office-a", "carrier line"), // opened last week, closed this one
			fault(2, at(0, 1, 0), 5*time.Minute, 3*time.Hour, "office-a", "carrier line"),
			fault(3, at(1, 2, 0), 12*time.Minute, 5*time.Hour, "office-a", "carrier line"),
			fault(4, at(2, 3, 0), 40*time.Minute, 0, "branch-b", "gateway"),
			fault(5, at(4, 6, 0), 0, 0, "office-a", ""),
		},
		FaultEscalations: 3, IncidentEscalations: 1,
		Incidents: []faultline.Incident{
			{Number: 1, Severity: faultline.SevMajor, CreatedAt: at(1, 0, 0), ReportedAt: at(1, 0, 40)},
			{Number: 2, Severity: faultline.SevGeneral, CreatedAt: at(3, 0, 0), ReportedAt: at(3, 2, 0)},
			{Number: 3, CreatedAt: at(5, 0, 0)},
		},
		Occurrences: []faultline.Occurrence{
			{Duty: "finance-backup", State: faultline.OccDone}, {Duty: "finance-backup", State: faultline.OccDone},
			{Duty: "finance-backup", State: faultline.OccPending, EscalatedAt: at(2, 4, 0)},
			{Duty: "finance-backup", State: faultline.OccCant},
			{Duty: "design-drawings", State: faultline.OccDone}, {Duty: "design-drawings", State: faultline.OccPending},
		},
	}
	for _, lang := range []catalog.Lang{catalog.ZH, catalog.EN} {
		h := setupAt(t, storagetest.Open(t, "sqlite"), testT0, func(set *commands.Settings) { set.Language, set.Location = lang, shanghai })
		golden(t, "digest-"+string(lang)+".txt", []byte(h.svc.DigestText(w)+"\n"))
	}
}
