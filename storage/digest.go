package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/faultline/faultline"
)

// Week gathers what the weekly digest counts for [from, to): the tickets
// opened or closed in it, the escalations of tickets and incidents, the
// incidents declared, and the duty occurrences due.
func (db *DB) Week(ctx context.Context, from, to time.Time) (faultline.Week, error) {
	w := faultline.Week{From: from, To: to}
	f, t := from.UTC(), to.UTC()
	var err error
	g := db.gorm.WithContext(ctx)
	if w.Faults, err = db.findFaults(g.Where("(created_at >= ? AND created_at < ?) OR (closed_at >= ? AND closed_at < ?)", f, t, f, t).Order("number"), "week's faults"); err != nil {
		return w, err
	}
	var n int64
	if err = g.Model(&eventRow{}).Where("kind = ? AND at >= ? AND at < ?", string(faultline.EventEscalation), f, t).Count(&n).Error; err != nil {
		return w, fmt.Errorf("week's escalations: %w", translate(err))
	}
	w.FaultEscalations = int(n)
	if err = g.Model(&incidentEventRow{}).Where("kind = ? AND at >= ? AND at < ?", string(faultline.EventEscalation), f, t).Count(&n).Error; err != nil {
		return w, fmt.Errorf("week's incident escalations: %w", translate(err))
	}
	w.IncidentEscalations = int(n)
	if w.Incidents, err = db.IncidentsBetween(ctx, from, to); err != nil {
		return w, err
	}
	w.Occurrences, err = db.OccurrencesBetween(ctx, from, to)
	return w, err
}
