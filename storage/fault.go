package storage

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"github.com/faultline/faultline"
)

type faultRow struct {
	ID          int64 `gorm:"primaryKey"`
	Number      int64
	Target      string
	Site        string
	Description string
	Reporter    string
	State       string
	Owner       string
	Channel     string
	MessageTS   string `gorm:"column:message_ts"`
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (faultRow) TableName() string { return "faults" }

func (r faultRow) fault() faultline.Fault {
	return faultline.Fault{
		ID: r.ID, Number: r.Number, Target: r.Target, Site: r.Site,
		Description: r.Description, Reporter: r.Reporter,
		State: faultline.FaultState(r.State), Owner: r.Owner,
		Channel: r.Channel, MessageTS: r.MessageTS,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
	}
}

type eventRow struct {
	ID      int64 `gorm:"primaryKey"`
	FaultID int64
	At      time.Time
	Actor   string
	Kind    string
	Text    string
	Data    string
}

func (eventRow) TableName() string { return "fault_events" }

func (r eventRow) event() faultline.Event {
	return faultline.Event{
		ID: r.ID, FaultID: r.FaultID, At: r.At.UTC(), Actor: r.Actor,
		Kind: faultline.EventKind(r.Kind), Text: r.Text, Data: r.Data,
	}
}

// CreateFault stores a new ticket with the next F-number and its "created"
// timeline entry, atomically. Two processes on one database never hand out
// the same number: PostgreSQL takes it from a sequence, SQLite from a
// counter row in the same transaction.
func (db *DB) CreateFault(ctx context.Context, f faultline.Fault) (faultline.Fault, error) {
	row := faultRow{
		Target: f.Target, Site: f.Site, Description: f.Description,
		Reporter: f.Reporter, State: string(f.State), Owner: f.Owner,
		Channel: f.Channel, MessageTS: f.MessageTS,
		CreatedAt: f.CreatedAt.UTC(), UpdatedAt: f.CreatedAt.UTC(),
	}
	var err error
	if db.dialect == "postgres" {
		err = db.createFaultPostgres(ctx, &row)
	} else {
		err = db.createFaultTx(ctx, &row)
	}
	if err != nil {
		return faultline.Fault{}, fmt.Errorf("create fault: %w", translate(err))
	}
	return row.fault(), nil
}

// createFaultPostgres does the whole report in one statement, one round
// trip: intake is the hot path, and a statement is its own transaction.
func (db *DB) createFaultPostgres(ctx context.Context, row *faultRow) error {
	return db.gorm.WithContext(ctx).Raw(`
WITH f AS (
	INSERT INTO faults (number, target, site, description, reporter, state, owner, channel, message_ts, created_at, updated_at)
	VALUES (nextval('fault_numbers'), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	RETURNING id, number),
e AS (
	INSERT INTO fault_events (fault_id, at, actor, kind, text) SELECT id, ?, ?, ?, ? FROM f)
SELECT id, number FROM f`,
		row.Target, row.Site, row.Description, row.Reporter, row.State, row.Owner, row.Channel, row.MessageTS, row.CreatedAt, row.UpdatedAt,
		row.CreatedAt, row.Reporter, string(faultline.EventCreated), row.Description,
	).Row().Scan(&row.ID, &row.Number)
}

func (db *DB) createFaultTx(ctx context.Context, row *faultRow) error {
	return db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		n, err := db.nextNumber(tx, "fault")
		if err != nil {
			return err
		}
		row.Number = n
		if err := tx.Create(row).Error; err != nil {
			return err
		}
		return tx.Create(&eventRow{
			FaultID: row.ID, At: row.CreatedAt, Actor: row.Reporter,
			Kind: string(faultline.EventCreated), Text: row.Description,
		}).Error
	})
}

// nextNumber hands out the next ticket number of a kind ("fault"): from
// the kind's sequence on PostgreSQL, from its counter row on SQLite.
func (db *DB) nextNumber(tx *gorm.DB, kind string) (int64, error) {
	var n int64
	var err error
	if db.dialect == "postgres" {
		err = tx.Raw("SELECT nextval(?::regclass)", kind+"_numbers").Scan(&n).Error
	} else {
		err = tx.Raw("UPDATE counters SET value = value + 1 WHERE name = ? RETURNING value", kind).Scan(&n).Error
	}
	if err == nil && n == 0 {
		err = fmt.Errorf("no number source for %q", kind)
	}
	return n, err
}

// Fault returns ticket F-number, or faultline.ErrNotFound.
func (db *DB) Fault(ctx context.Context, number int64) (faultline.Fault, error) {
	var row faultRow
	err := db.gorm.WithContext(ctx).Where("number = ?", number).Take(&row).Error
	if err != nil {
		return faultline.Fault{}, fmt.Errorf("fault %d: %w", number, translate(err))
	}
	return row.fault(), nil
}

// FaultByMessage returns the ticket whose head message is ts in channel,
// or faultline.ErrNotFound: thread replies find their ticket this way.
func (db *DB) FaultByMessage(ctx context.Context, channel, ts string) (faultline.Fault, error) {
	var row faultRow
	err := db.gorm.WithContext(ctx).
		Where("channel = ? AND message_ts = ?", channel, ts).Take(&row).Error
	if err != nil {
		return faultline.Fault{}, fmt.Errorf("fault of message %s/%s: %w", channel, ts, translate(err))
	}
	return row.fault(), nil
}

// Faults lists tickets in the given states, newest first, at most limit.
func (db *DB) Faults(ctx context.Context, states []faultline.FaultState, limit int) ([]faultline.Fault, error) {
	var rows []faultRow
	err := db.gorm.WithContext(ctx).Where("state IN ?", states).
		Order("number DESC").Limit(limit).Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list faults: %w", translate(err))
	}
	out := make([]faultline.Fault, len(rows))
	for i, r := range rows {
		out[i] = r.fault()
	}
	return out, nil
}

// SetFaultMessage records where the ticket's head message was posted. It
// is set once: a second call for the same ticket is a conflict, so a
// redelivered job never re-points the thread.
func (db *DB) SetFaultMessage(ctx context.Context, id int64, channel, ts string, at time.Time) error {
	res := db.gorm.WithContext(ctx).Model(&faultRow{}).
		Where("id = ? AND message_ts = ''", id).
		Updates(map[string]any{"channel": channel, "message_ts": ts, "updated_at": at.UTC()})
	if res.Error != nil {
		return fmt.Errorf("set message of fault %d: %w", id, translate(res.Error))
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("set message of fault %d: %w", id, faultline.ErrConflict)
	}
	return nil
}

// AddEvent appends an entry to a ticket's timeline.
func (db *DB) AddEvent(ctx context.Context, ev faultline.Event) (faultline.Event, error) {
	row := eventRow{
		FaultID: ev.FaultID, At: ev.At.UTC(), Actor: ev.Actor,
		Kind: string(ev.Kind), Text: ev.Text, Data: ev.Data,
	}
	if err := db.gorm.WithContext(ctx).Create(&row).Error; err != nil {
		return faultline.Event{}, fmt.Errorf("add %s event to fault %d: %w", ev.Kind, ev.FaultID, translate(err))
	}
	return row.event(), nil
}

// Events returns a ticket's timeline, oldest first.
func (db *DB) Events(ctx context.Context, faultID int64) ([]faultline.Event, error) {
	var rows []eventRow
	err := db.gorm.WithContext(ctx).Where("fault_id = ?", faultID).Order("id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("timeline of fault %d: %w", faultID, translate(err))
	}
	out := make([]faultline.Event, len(rows))
	for i, r := range rows {
		out[i] = r.event()
	}
	return out, nil
}
