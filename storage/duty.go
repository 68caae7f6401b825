package storage

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/faultline/faultline"
)

type dutyRow struct {
	ID           int64 `gorm:"primaryKey"`
	Name         string
	Owners       string // comma-separated user IDs
	Schedule     string
	GraceSeconds int64
	EscalateTo   string
	Instructions string
	Source       string
	Paused       bool
	NextDueAt    time.Time
	CreatedBy    string
	CreatedAt    time.Time
	Version      int
}

func (dutyRow) TableName() string { return "duties" }

func (r dutyRow) duty() faultline.Duty {
	return faultline.Duty{
		ID: r.ID, Name: r.Name, Owners: strings.Split(r.Owners, ","), Schedule: r.Schedule,
		Grace: time.Duration(r.GraceSeconds) * time.Second, EscalateTo: faultline.Role(r.EscalateTo),
		Instructions: r.Instructions, Paused: r.Paused, Source: r.Source, NextDue: r.NextDueAt.UTC(),
		CreatedBy: r.CreatedBy, Version: r.Version,
	}
}

func newDutyRow(d faultline.Duty, now time.Time) dutyRow {
	return dutyRow{
		Name: d.Name, Owners: strings.Join(d.Owners, ","), Schedule: d.Schedule,
		GraceSeconds: int64(d.Grace / time.Second), EscalateTo: string(d.EscalateTo), Instructions: d.Instructions,
		Source: d.Source, Paused: d.Paused, NextDueAt: d.NextDue.UTC(), CreatedBy: d.CreatedBy, CreatedAt: now.UTC(),
	}
}

type occurrenceRow struct {
	ID          int64 `gorm:"primaryKey"`
	DutyID      int64
	Owner       string
	DueAt       time.Time
	State       string
	RemindAt    time.Time
	RemindedAt  *time.Time
	EscalateAt  time.Time
	EscalatedAt *time.Time
	DoneAt      *time.Time
	DoneBy      string
	Note        string
	Reason      string
	Snoozes     int
	OwnerGone   bool
	// Read only: the duty's name, joined.
	DutyName string `gorm:"->"`
}

func (occurrenceRow) TableName() string { return "duty_occurrences" }

func (r occurrenceRow) occurrence() faultline.Occurrence {
	return faultline.Occurrence{
		ID: r.ID, DutyID: r.DutyID, Duty: r.DutyName, Owner: r.Owner, DueAt: r.DueAt.UTC(), State: faultline.OccurrenceState(r.State),
		RemindAt: r.RemindAt.UTC(), RemindedAt: fromNull(r.RemindedAt), EscalateAt: r.EscalateAt.UTC(),
		EscalatedAt: fromNull(r.EscalatedAt), DoneAt: fromNull(r.DoneAt), DoneBy: r.DoneBy, Note: r.Note,
		Reason: r.Reason, Snoozes: r.Snoozes, OwnerGone: r.OwnerGone,
	}
}

// SyncDuties makes the duties of the config the config-sourced duties of
// the database: new ones are added, changed ones updated (their next due
// time only when the schedule changed), and ones no longer in the config
// paused and retired, their records kept. A config duty someone paused
// from Slack stays paused; duties added from Slack are left alone.
func (db *DB) SyncDuties(ctx context.Context, duties []faultline.Duty, now time.Time) error {
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		names := make([]string, 0, len(duties))
		for _, d := range duties {
			names = append(names, d.Name)
			if err := syncDuty(tx, d, now); err != nil {
				return err
			}
		}
		q := tx.Model(&dutyRow{}).Where("source = ?", faultline.SourceConfig)
		if len(names) > 0 {
			q = q.Where("name NOT IN ?", names)
		}
		return q.Updates(map[string]any{"paused": true, "source": faultline.SourceRetired}).Error
	})
	if err != nil {
		return fmt.Errorf("sync duties: %w", translate(err))
	}
	return nil
}

func syncDuty(tx *gorm.DB, d faultline.Duty, now time.Time) error {
	var old dutyRow
	err := tx.Where("name = ?", d.Name).Take(&old).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		// Another process starting at the same moment may add it first;
		// its row, with the same schedule, stands.
		row := newDutyRow(d, now)
		return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error
	}
	if err != nil {
		return err
	}
	updates := map[string]any{
		"owners": strings.Join(d.Owners, ","), "grace_seconds": int64(d.Grace / time.Second),
		"escalate_to": string(d.EscalateTo), "instructions": d.Instructions, "source": faultline.SourceConfig,
	}
	if old.Schedule != d.Schedule {
		updates["schedule"], updates["next_due_at"] = d.Schedule, d.NextDue.UTC()
	}
	if old.Source == faultline.SourceRetired {
		updates["paused"] = false // back in the config; a pause from Slack stays
	}
	return tx.Model(&dutyRow{}).Where("id = ?", old.ID).Updates(updates).Error
}

// CreateDuty adds a duty (from Slack); a duty of that name already existing
// is faultline.ErrConflict.
func (db *DB) CreateDuty(ctx context.Context, d faultline.Duty, now time.Time) (faultline.Duty, error) {
	row := newDutyRow(d, now)
	if err := db.gorm.WithContext(ctx).Create(&row).Error; err != nil {
		return faultline.Duty{}, fmt.Errorf("create duty %q: %w", d.Name, translate(err))
	}
	return row.duty(), nil
}

// Duties lists every duty by name.
func (db *DB) Duties(ctx context.Context) ([]faultline.Duty, error) {
	var rows []dutyRow
	if err := db.gorm.WithContext(ctx).Order("name").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list duties: %w", translate(err))
	}
	out := make([]faultline.Duty, len(rows))
	for i, r := range rows {
		out[i] = r.duty()
	}
	return out, nil
}

// Duty returns the duty called name, or faultline.ErrNotFound.
func (db *DB) Duty(ctx context.Context, name string) (faultline.Duty, error) {
	var row dutyRow
	if err := db.gorm.WithContext(ctx).Where("name = ?", name).Take(&row).Error; err != nil {
		return faultline.Duty{}, fmt.Errorf("duty %q: %w", name, translate(err))
	}
	return row.duty(), nil
}

// SetDutyPaused pauses or resumes a duty. While paused, its open
// occurrences are neither reminded nor escalated; resuming sets its next
// due time and gives each open occurrence whose escalation came due
// meanwhile its grace again, counted from now, so a pause does not end in
// a burst of escalations for what it held.
func (db *DB) SetDutyPaused(ctx context.Context, name string, paused bool, next, now time.Time) error {
	return db.transaction(ctx, fmt.Sprintf("pause duty %q", name), func(tx *gorm.DB) error {
		var row dutyRow
		if err := tx.Where("name = ?", name).Take(&row).Error; err != nil {
			return err
		}
		updates := map[string]any{"paused": paused}
		if !paused {
			updates["next_due_at"] = next.UTC()
		}
		if err := tx.Model(&dutyRow{}).Where("id = ?", row.ID).Updates(updates).Error; err != nil {
			return err
		}
		if paused || !row.Paused {
			return nil
		}
		return tx.Model(&occurrenceRow{}).
			Where("duty_id = ? AND state = ? AND escalated_at IS NULL AND escalate_at < ?", row.ID, string(faultline.OccPending), now.UTC()).
			Update("escalate_at", now.Add(time.Duration(row.GraceSeconds)*time.Second).UTC()).Error
	})
}

// DueDuties lists the unpaused duties due at now, soonest first.
func (db *DB) DueDuties(ctx context.Context, now time.Time, limit int) ([]faultline.Duty, error) {
	var rows []dutyRow
	err := db.gorm.WithContext(ctx).Where("paused = ? AND next_due_at <= ?", false, now.UTC()).
		Order("next_due_at").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("due duties: %w", translate(err))
	}
	out := make([]faultline.Duty, len(rows))
	for i, r := range rows {
		out[i] = r.duty()
	}
	return out, nil
}

// FireDuty creates the occurrences of duty read and moves it to next, in
// one transaction, if it is still unpaused and due at read.NextDue;
// otherwise faultline.ErrConflict, so every occurrence is created once
// however many processes read the duty. A duty that was due several times
// while nobody ran comes due once, since the caller computes next from now.
func (db *DB) FireDuty(ctx context.Context, read faultline.Duty, occurrences []faultline.Occurrence, next time.Time) error {
	return db.transaction(ctx, "fire duty "+read.Name, func(tx *gorm.DB) error {
		err := guarded(tx.Model(&dutyRow{}).Where("id = ? AND paused = ? AND next_due_at = ?", read.ID, false, read.NextDue.UTC()).
			Update("next_due_at", next.UTC()))
		if err != nil {
			return err
		}
		for _, o := range occurrences {
			r := occurrenceRow{DutyID: read.ID, Owner: o.Owner, DueAt: o.DueAt.UTC(), State: string(faultline.OccPending),
				RemindAt: o.RemindAt.UTC(), EscalateAt: o.EscalateAt.UTC()}
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&r).Error; err != nil {
				return err
			}
		}
		return nil
	})
}

const occurrenceSelect = "duty_occurrences.*, duties.name AS duty_name"

func (db *DB) occurrences(q *gorm.DB) ([]faultline.Occurrence, error) {
	var rows []occurrenceRow
	err := q.Model(&occurrenceRow{}).Select(occurrenceSelect).
		Joins("JOIN duties ON duties.id = duty_occurrences.duty_id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("occurrences: %w", translate(err))
	}
	out := make([]faultline.Occurrence, len(rows))
	for i, r := range rows {
		out[i] = r.occurrence()
	}
	return out, nil
}

// DueReminders lists pending occurrences of unpaused duties whose
// reminder is due and not yet sent, oldest first. A missed one (escalated) is not reminded again:
// its owner was told at the escalation.
func (db *DB) DueReminders(ctx context.Context, now time.Time, limit int) ([]faultline.Occurrence, error) {
	q := db.gorm.WithContext(ctx).
		Where("duty_occurrences.state = ? AND duty_occurrences.escalated_at IS NULL AND duty_occurrences.remind_at <= ? AND (duty_occurrences.reminded_at IS NULL OR duty_occurrences.reminded_at < duty_occurrences.remind_at)",
							string(faultline.OccPending), now.UTC()).
		Where("duties.paused = ?", false). // a paused duty holds its reminders

		Order("duty_occurrences.remind_at").Limit(limit)
	return db.occurrences(q)
}

// DueEscalations lists pending occurrences of unpaused duties past their
// grace and not yet escalated, oldest first.
func (db *DB) DueEscalations(ctx context.Context, now time.Time, limit int) ([]faultline.Occurrence, error) {
	q := db.gorm.WithContext(ctx).
		Where("duty_occurrences.state = ? AND duty_occurrences.escalated_at IS NULL AND duty_occurrences.escalate_at <= ?",
							string(faultline.OccPending), now.UTC()).
		Where("duties.paused = ?", false). // and its escalations

		Order("duty_occurrences.escalate_at").Limit(limit)
	return db.occurrences(q)
}

// Occurrence returns one occurrence, or faultline.ErrNotFound.
func (db *DB) Occurrence(ctx context.Context, id int64) (faultline.Occurrence, error) {
	list, err := db.occurrences(db.gorm.WithContext(ctx).Where("duty_occurrences.id = ?", id))
	if err != nil {
		return faultline.Occurrence{}, err
	}
	if len(list) == 0 {
		return faultline.Occurrence{}, fmt.Errorf("occurrence %d: %w", id, faultline.ErrNotFound)
	}
	return list[0], nil
}

// DutyOccurrences lists a duty's latest occurrences, newest first.
func (db *DB) DutyOccurrences(ctx context.Context, dutyID int64, limit int) ([]faultline.Occurrence, error) {
	return db.occurrences(db.gorm.WithContext(ctx).Where("duty_occurrences.duty_id = ?", dutyID).
		Order("duty_occurrences.due_at DESC, duty_occurrences.owner").Limit(limit))
}

// OccurrencesBetween lists the occurrences due in [from, to).
func (db *DB) OccurrencesBetween(ctx context.Context, from, to time.Time) ([]faultline.Occurrence, error) {
	return db.occurrences(db.gorm.WithContext(ctx).Where("duty_occurrences.due_at >= ? AND duty_occurrences.due_at < ?", from.UTC(), to.UTC()).
		Order("duties.name, duty_occurrences.due_at"))
}

// UpdateOccurrence writes o as next if it is still as read (state and
// snoozes, reminded and escalated times), with its messages, atomically;
// otherwise faultline.ErrConflict. Reminding and escalating go through here
// too, so each happens once.
func (db *DB) UpdateOccurrence(ctx context.Context, read, next faultline.Occurrence, out []faultline.Outgoing, now time.Time) error {
	return db.transaction(ctx, fmt.Sprintf("update occurrence %d", read.ID), func(tx *gorm.DB) error {
		q := tx.Model(&occurrenceRow{}).Where("id = ? AND state = ? AND snoozes = ?", read.ID, string(read.State), read.Snoozes)
		q = nullable(q, "reminded_at", read.RemindedAt)
		q = nullable(q, "escalated_at", read.EscalatedAt)
		res := q.Updates(map[string]any{
			"state": string(next.State), "remind_at": next.RemindAt.UTC(), "reminded_at": toNull(next.RemindedAt),
			"escalate_at": next.EscalateAt.UTC(), "escalated_at": toNull(next.EscalatedAt), "done_at": toNull(next.DoneAt),
			"done_by": next.DoneBy, "note": next.Note, "reason": next.Reason, "snoozes": next.Snoozes, "owner_gone": next.OwnerGone,
		})
		if err := guarded(res); err != nil {
			return err
		}
		return db.insertOutgoing(tx, out, 0, 0, now.UTC())
	})
}

func nullable(q *gorm.DB, column string, t time.Time) *gorm.DB {
	if t.IsZero() {
		return q.Where(column + " IS NULL")
	}
	return q.Where(column+" = ?", t.UTC())
}
