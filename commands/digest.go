package commands

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/markup"
)

// sendDigest sends the week before due to the digest's role by DM.
func (f *scheduleFlow) sendDigest(ctx context.Context, due time.Time) error {
	w, err := f.digests.Week(ctx, due.AddDate(0, 0, -7), due)
	if err != nil {
		return err
	}
	out := f.dmRole(f.set.Digest.To, f.digestText(w))
	if len(out) == 0 {
		return nil
	}
	return f.commit(ctx, faultline.Change{Out: out})
}

// DigestText is the weekly digest for the department head, in the
// configured language: faults opened and closed, time to take and to close
// (median and 90th percentile), escalations, incidents by severity and
// reports overdue, backup compliance per duty, and the hops that failed
// most.
func (s *Service) DigestText(w faultline.Week) string { return s.schedules.digestText(w) }

func (f *scheduleFlow) digestText(w faultline.Week) string {
	t := f.cat.T
	lines := []string{t("digest.title", f.fmtTime(w.From), f.fmtTime(w.To))}
	opened, closed, took, ran := faultFigures(w)
	lines = append(lines,
		t("digest.faults", opened, closed),
		t("digest.take", f.percentiles(took)),
		t("digest.close", f.percentiles(ran)),
		t("digest.escalations", w.FaultEscalations, w.IncidentEscalations),
		f.incidentFigures(w))
	lines = append(lines, f.backupFigures(w)...)
	lines = append(lines, f.worstHops(w))
	return strings.Join(lines, "\n")
}

func faultFigures(w faultline.Week) (opened, closed int, took, ran []time.Duration) {
	in := func(at time.Time) bool { return !at.IsZero() && !at.Before(w.From) && at.Before(w.To) }
	for _, f := range w.Faults {
		if in(f.CreatedAt) {
			opened++
		}
		if in(f.TakenAt) {
			took = append(took, f.TakenAt.Sub(f.CreatedAt))
		}
		if in(f.ClosedAt) {
			closed++
			ran = append(ran, f.ClosedAt.Sub(f.CreatedAt))
		}
	}
	return opened, closed, took, ran
}

// percentiles is "median X · 90th percentile Y" (nearest rank), or a dash.
func (f *scheduleFlow) percentiles(ds []time.Duration) string {
	if len(ds) == 0 {
		return "—"
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	rank := func(p float64) time.Duration {
		i := int(p*float64(len(ds))+0.999999) - 1
		return ds[max(0, min(i, len(ds)-1))]
	}
	return fmt.Sprintf("%s / %s", f.plainDuration(rank(0.5)), f.plainDuration(rank(0.9)))
}

func (f *scheduleFlow) incidentFigures(w faultline.Week) string {
	by := map[faultline.Severity]int{}
	overdue := 0
	for _, i := range w.Incidents {
		by[i.Severity]++
		if i.ReportedAt.IsZero() || i.ReportedAt.Sub(i.CreatedAt) > f.set.Incident.Report {
			overdue++
		}
	}
	return f.cat.T("digest.incidents", len(w.Incidents), by[faultline.SevGeneral], by[faultline.SevMajor],
		by[faultline.SevCritical], by[""], overdue)
}

// backupFigures: per duty, how many of its occurrences were confirmed,
// missed (escalated unconfirmed), could not be done, or are still open.
func (f *scheduleFlow) backupFigures(w faultline.Week) []string {
	type tally struct{ total, done, missed, cant, open int }
	per := map[string]*tally{}
	var names []string
	for _, o := range w.Occurrences {
		t, ok := per[o.Duty]
		if !ok {
			t = &tally{}
			per[o.Duty] = t
			names = append(names, o.Duty)
		}
		t.total++
		switch {
		case o.State == faultline.OccDone:
			t.done++
		case o.State == faultline.OccCant:
			t.cant++
		case o.Missed():
			t.missed++
		default:
			t.open++
		}
	}
	if len(names) == 0 {
		return []string{f.cat.T("digest.backups_none")}
	}
	sort.Strings(names)
	lines := []string{f.cat.T("digest.backups")}
	for _, n := range names {
		t := per[n]
		lines = append(lines, f.cat.T("digest.backup", markup.Escape(n), t.done, t.total, t.missed, t.cant, t.open))
	}
	return lines
}

// worstHops names the hops that failed most often among the week's new
// tickets.
func (f *scheduleFlow) worstHops(w faultline.Week) string {
	count := map[string]int{}
	for _, f := range w.Faults {
		if f.Hop != "" && !f.CreatedAt.Before(w.From) && f.CreatedAt.Before(w.To) {
			count[f.Target+" / "+f.Hop]++
		}
	}
	if len(count) == 0 {
		return f.cat.T("digest.hops_none")
	}
	hops := make([]string, 0, len(count))
	for h := range count {
		hops = append(hops, h)
	}
	sort.Slice(hops, func(i, j int) bool {
		if count[hops[i]] != count[hops[j]] {
			return count[hops[i]] > count[hops[j]]
		}
		return hops[i] < hops[j]
	})
	parts := make([]string, 0, 3)
	for _, h := range hops[:min(3, len(hops))] {
		parts = append(parts, fmt.Sprintf("%s (%d)", markup.Escape(h), count[h]))
	}
	return f.cat.T("digest.hops", strings.Join(parts, ", "))
}
