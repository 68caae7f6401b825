package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/faultline/faultline"
)

type incidentRow struct {
	ID            int64 `gorm:"primaryKey"`
	Number        int64
	Description   string
	Systems       string
	NoticedHow    string
	Reporter      string
	State         string
	Owner         string
	Severity      string
	Channel       string
	MessageTS     string `gorm:"column:message_ts"`
	CreatedAt     time.Time
	UpdatedAt     time.Time
	ClassifiedBy  string
	ClassifiedAt  *time.Time
	TakenAt       *time.Time
	ReportedAt    *time.Time
	ClosedAt      *time.Time
	SummaryAt     *time.Time
	Report        string // JSON
	Cause         string
	Measures      string
	SummaryOwner  string
	Summary       string // JSON
	Notice        string
	NoticeText    string
	NoticeBy      string
	ExternalBy    string
	ExternalAt    *time.Time
	Level         string
	Category      string
	Outside       string // JSON
	SupplementDue *time.Time
	Supplements   int
	ExternalLevel string
	EscLevel      int
	SummaryLevel  int
	Version       int
	RequestKey    *string
}

func (incidentRow) TableName() string { return "incidents" }

func (r incidentRow) incident() faultline.Incident {
	i := faultline.Incident{
		ID: r.ID, Number: r.Number, Description: r.Description, Systems: r.Systems, NoticedHow: r.NoticedHow,
		Reporter: r.Reporter, State: faultline.IncidentState(r.State), Owner: r.Owner,
		Severity: faultline.Severity(r.Severity), Channel: r.Channel, MessageTS: r.MessageTS,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		ClassifiedBy: r.ClassifiedBy, ClassifiedAt: fromNull(r.ClassifiedAt), TakenAt: fromNull(r.TakenAt),
		ReportedAt: fromNull(r.ReportedAt), ClosedAt: fromNull(r.ClosedAt), SummaryAt: fromNull(r.SummaryAt),
		Cause: r.Cause, Measures: r.Measures, SummaryOwner: r.SummaryOwner,
		Notice: faultline.NoticeState(r.Notice), NoticeText: r.NoticeText, NoticeBy: r.NoticeBy,
		ExternalBy: r.ExternalBy, ExternalAt: fromNull(r.ExternalAt),
		Level: faultline.Level(r.Level), Category: r.Category, SupplementDue: fromNull(r.SupplementDue),
		Supplements: r.Supplements, ExternalLevel: faultline.Level(r.ExternalLevel),
		EscLevel: r.EscLevel, SummaryLevel: r.SummaryLevel, Version: r.Version, RequestKey: deref(r.RequestKey),
	}
	// Both are written by this package from the structs below; an empty
	// column is an unfiled report.
	_ = json.Unmarshal([]byte(r.Report), &i.Report)
	_ = json.Unmarshal([]byte(r.Summary), &i.Summary)
	_ = json.Unmarshal([]byte(r.Outside), &i.Outside)
	return i
}

func incidentMutable(i faultline.Incident) map[string]any {
	return map[string]any{
		"state": string(i.State), "owner": i.Owner, "severity": string(i.Severity), "updated_at": i.UpdatedAt.UTC(),
		"classified_by": i.ClassifiedBy, "classified_at": toNull(i.ClassifiedAt), "taken_at": toNull(i.TakenAt),
		"reported_at": toNull(i.ReportedAt), "closed_at": toNull(i.ClosedAt), "summary_at": toNull(i.SummaryAt),
		"report": jsonText(i.Report, i.ReportedAt), "cause": i.Cause, "measures": i.Measures,
		"summary_owner": i.SummaryOwner, "summary": jsonText(i.Summary, i.SummaryAt),
		"notice": string(i.Notice), "notice_text": i.NoticeText, "notice_by": i.NoticeBy,
		"external_by": i.ExternalBy, "external_at": toNull(i.ExternalAt),
		"level": string(i.Level), "category": i.Category, "outside": jsonText(i.Outside, i.ExternalAt),
		"supplement_due": toNull(i.SupplementDue), "supplements": i.Supplements, "external_level": string(i.ExternalLevel),
		"esc_level": i.EscLevel, "summary_level": i.SummaryLevel, "version": gorm.Expr("version + 1"),
	}
}

// jsonText encodes v once it was filed (at is set), else stores nothing.
func jsonText(v any, at time.Time) string {
	if at.IsZero() {
		return ""
	}
	b, _ := json.Marshal(v) // plain string fields: cannot fail
	return string(b)
}

type incidentEventRow struct {
	ID         int64 `gorm:"primaryKey"`
	IncidentID int64
	At         time.Time
	Actor      string
	Kind       string
	Text       string
	Data       string
}

func (incidentEventRow) TableName() string { return "incident_events" }

type followUpRow struct {
	ID         int64 `gorm:"primaryKey"`
	IncidentID int64
	Text       string
	Owner      string
	Due        time.Time
	DoneAt     *time.Time
	DoneBy     string
}

func (followUpRow) TableName() string { return "incident_followups" }

func (r followUpRow) followUp() faultline.FollowUp {
	return faultline.FollowUp{ID: r.ID, IncidentID: r.IncidentID, Text: r.Text, Owner: r.Owner,
		Due: r.Due.UTC(), DoneAt: fromNull(r.DoneAt), DoneBy: r.DoneBy}
}

// CreateIncident stores a new incident with the next I-number, its
// "created" timeline entry, and with's messages, clocks and tasks, which
// belong to it, in one transaction. An incident whose RequestKey is already
// on one is not stored again: the earlier one comes back with
// faultline.ErrReplay.
func (db *DB) CreateIncident(ctx context.Context, i faultline.Incident, with faultline.Change) (faultline.Incident, error) {
	row := incidentRow{
		Description: i.Description, Systems: i.Systems, NoticedHow: i.NoticedHow, Reporter: i.Reporter,
		State: string(i.State), Severity: string(i.Severity), CreatedAt: i.CreatedAt.UTC(), UpdatedAt: i.CreatedAt.UTC(),
		RequestKey: nullString(i.RequestKey),
	}
	err := db.transaction(ctx, "create incident", func(tx *gorm.DB) error {
		n, err := db.nextNumber(tx, "incident")
		if err != nil {
			return err
		}
		row.Number = n
		res := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "request_key"}}, DoNothing: true}).Create(&row)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return faultline.ErrReplay
		}
		created := faultline.Event{At: row.CreatedAt, Actor: row.Reporter, Kind: faultline.EventCreated, Text: row.Description}
		return db.applyChange(tx, faultline.Change{IncidentID: row.ID, Events: []faultline.Event{created}, Out: with.Out,
			SetTimers: with.SetTimers, Tasks: with.Tasks}, row.CreatedAt)
	})
	if errors.Is(err, faultline.ErrReplay) {
		earlier, lookup := db.findIncident(ctx, "request_key = ?", i.RequestKey)
		if lookup != nil {
			return faultline.Incident{}, lookup
		}
		return earlier, faultline.ErrReplay
	}
	if err != nil {
		return faultline.Incident{}, err
	}
	return row.incident(), nil
}

// Incident returns incident I-number, or faultline.ErrNotFound.
func (db *DB) Incident(ctx context.Context, number int64) (faultline.Incident, error) {
	return db.findIncident(ctx, "number = ?", number)
}

// IncidentByID returns the incident with database ID id.
func (db *DB) IncidentByID(ctx context.Context, id int64) (faultline.Incident, error) {
	return db.findIncident(ctx, "id = ?", id)
}

// IncidentByMessage returns the incident whose head message is ts in
// channel, or faultline.ErrNotFound.
func (db *DB) IncidentByMessage(ctx context.Context, channel, ts string) (faultline.Incident, error) {
	return db.findIncident(ctx, "channel = ? AND message_ts = ?", channel, ts)
}

func (db *DB) findIncident(ctx context.Context, where string, args ...any) (faultline.Incident, error) {
	var row incidentRow
	if err := db.gorm.WithContext(ctx).Where(where, args...).Take(&row).Error; err != nil {
		return faultline.Incident{}, fmt.Errorf("incident: %w", translate(err))
	}
	return row.incident(), nil
}

// Incidents lists incidents in the given states, newest first, at most
// limit; with reporter set, only the ones that person reported.
func (db *DB) Incidents(ctx context.Context, states []faultline.IncidentState, reporter string, limit int) ([]faultline.Incident, error) {
	q := db.gorm.WithContext(ctx)
	if slices.Equal(states, faultline.OpenIncidentStates) {
		q = q.Where("state IN ('open', 'handling', 'reported')") // the partial index of open incidents, whatever the plan
	} else {
		q = q.Where("state IN ?", states)
	}
	if reporter != "" {
		q = q.Where("reporter = ?", reporter)
	}
	return db.listIncidents(q.Order("number DESC").Limit(limit))
}

// IncidentsBetween lists the incidents declared in [from, to), oldest
// first, for the archive's export.
func (db *DB) IncidentsBetween(ctx context.Context, from, to time.Time) ([]faultline.Incident, error) {
	q := db.gorm.WithContext(ctx).Where("created_at >= ? AND created_at < ?", from.UTC(), to.UTC()).Order("number")
	return db.listIncidents(q)
}

func (db *DB) listIncidents(q *gorm.DB) ([]faultline.Incident, error) {
	var rows []incidentRow
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("list incidents: %w", translate(err))
	}
	out := make([]faultline.Incident, len(rows))
	for i, r := range rows {
		out[i] = r.incident()
	}
	return out, nil
}

// IncidentEvents returns an incident's timeline, oldest first.
func (db *DB) IncidentEvents(ctx context.Context, incidentID int64) ([]faultline.Event, error) {
	var rows []incidentEventRow
	if err := db.gorm.WithContext(ctx).Where("incident_id = ?", incidentID).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("timeline of incident %d: %w", incidentID, translate(err))
	}
	out := make([]faultline.Event, len(rows))
	for i, r := range rows {
		out[i] = faultline.Event{ID: r.ID, At: r.At.UTC(), Actor: r.Actor, Kind: faultline.EventKind(r.Kind), Text: r.Text, Data: r.Data}
	}
	return out, nil
}

// FollowUps returns an incident's follow-ups, in the order decided.
func (db *DB) FollowUps(ctx context.Context, incidentID int64) ([]faultline.FollowUp, error) {
	var rows []followUpRow
	if err := db.gorm.WithContext(ctx).Where("incident_id = ?", incidentID).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("follow-ups of incident %d: %w", incidentID, translate(err))
	}
	out := make([]faultline.FollowUp, len(rows))
	for i, r := range rows {
		out[i] = r.followUp()
	}
	return out, nil
}

// FollowUp returns one follow-up, or faultline.ErrNotFound.
func (db *DB) FollowUp(ctx context.Context, id int64) (faultline.FollowUp, error) {
	var row followUpRow
	if err := db.gorm.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return faultline.FollowUp{}, fmt.Errorf("follow-up %d: %w", id, translate(err))
	}
	return row.followUp(), nil
}

// applyFollowUps stores new follow-ups with a clock at each due date, and
// marks done ones (once: a second "done" is a conflict) and stops theirs.
func applyFollowUps(tx *gorm.DB, c faultline.Change) error {
	for _, f := range c.FollowUps {
		row := followUpRow{IncidentID: c.IncidentID, Text: f.Text, Owner: f.Owner, Due: f.Due.UTC()}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		if err := setTimer(tx, 0, c.IncidentID, faultline.TimerFollowUp(row.ID), row.Due); err != nil {
			return err
		}
	}
	for _, f := range c.Done {
		res := tx.Model(&followUpRow{}).Where("id = ? AND done_at IS NULL", f.ID).
			Updates(map[string]any{"done_at": f.DoneAt.UTC(), "done_by": f.DoneBy})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return faultline.ErrConflict
		}
		err := tx.Where("incident_id = ? AND kind = ?", c.IncidentID, string(faultline.TimerFollowUp(f.ID))).Delete(&timerRow{}).Error
		if err != nil {
			return err
		}
	}
	return nil
}

// IncidentGauges counts what is overdue or owed, at now: incidents whose
// report is past due, and closed incidents whose summary is not filed.
func (db *DB) IncidentGauges(ctx context.Context, now time.Time, reportWithin time.Duration) (reportsOverdue, summariesOwed int64, err error) {
	g := db.gorm.WithContext(ctx).Model(&incidentRow{})
	err = g.Where("state IN ? AND created_at < ?", []string{string(faultline.IncOpen), string(faultline.IncHandling)},
		now.Add(-reportWithin).UTC()).Count(&reportsOverdue).Error
	if err == nil {
		err = db.gorm.WithContext(ctx).Model(&incidentRow{}).Where("state = ?", string(faultline.IncClosed)).Count(&summariesOwed).Error
	}
	if err != nil {
		return 0, 0, fmt.Errorf("incident gauges: %w", translate(err))
	}
	return reportsOverdue, summariesOwed, nil
}
