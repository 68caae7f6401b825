package faultline

import (
	"strings"
	"time"
)

// Duty is a recurring duty, such as a backup (督促终端用户定时对关键数据进行
// 备份): its owners are reminded on its schedule and must confirm.
type Duty struct {
	ID           int64
	Name         string
	Owners       []string
	Schedule     string        // 5-field cron or a descriptor, in the configured time zone
	Grace        time.Duration // unconfirmed this long after due → EscalateTo
	EscalateTo   Role
	Instructions string
	Paused       bool
	Source       string // SourceConfig, SourceSlack or SourceRetired
	NextDue      time.Time
	CreatedBy    string
	Version      int
}

// Duty sources.
const (
	SourceConfig  = "config"
	SourceSlack   = "slack"
	SourceRetired = "retired" // was in the config, taken out of it: paused, records kept
)

// OccurrenceState is where one owner's occurrence of a duty stands.
type OccurrenceState string

// Occurrence states. Missed is not a state: it is a pending occurrence
// escalated past its grace.
const (
	OccPending OccurrenceState = "pending"
	OccDone    OccurrenceState = "done"
	OccCant    OccurrenceState = "cant" // the owner could not do it, and said why
)

// Occurrence is one owner's instance of a duty coming due: the stored
// record of whether the backup was made.
type Occurrence struct {
	ID          int64
	DutyID      int64
	Duty        string // the duty's name
	Owner       string
	DueAt       time.Time
	RemindAt    time.Time // when the reminder goes (later when snoozed, or outside working time)
	RemindedAt  time.Time
	EscalateAt  time.Time // unconfirmed by then → the escalation role
	EscalatedAt time.Time
	State       OccurrenceState
	DoneAt      time.Time
	DoneBy      string
	Note        string // where the backup went, its size
	Reason      string // why it could not be done
	Snoozes     int
	OwnerGone   bool // Slack says the owner's account is deleted
}

// Missed reports whether the occurrence went past its grace unconfirmed.
func (o Occurrence) Missed() bool { return o.State == OccPending && !o.EscalatedAt.IsZero() }

// Snoozes an owner may choose: bounded, so a reminder cannot be put off
// past its escalation.
var SnoozeChoices = []time.Duration{time.Hour, 4 * time.Hour}

// MaxSnoozes is how often one occurrence may be snoozed.
const MaxSnoozes = 3

// Snooze puts the reminder off by d, if it stays before the escalation
// and the owner has snoozes left; the *Error names why not.
func (o Occurrence) Snooze(d time.Duration, now time.Time) (Occurrence, error) {
	switch {
	case o.State != OccPending:
		return o, &Error{Code: "duty.not_pending"}
	case o.Snoozes >= MaxSnoozes:
		return o, &Error{Code: "duty.snooze_limit"}
	case !now.Add(d).Before(o.EscalateAt):
		return o, &Error{Code: "duty.snooze_too_long"}
	}
	o.RemindAt, o.Snoozes = now.Add(d), o.Snoozes+1
	return o, nil
}

// Confirm records the owner's done (with an optional note) or can't (with
// a required reason).
func (o Occurrence) Confirm(done bool, by, text string, now time.Time) (Occurrence, error) {
	text = strings.TrimSpace(text)
	switch {
	case o.State != OccPending:
		return o, &Error{Code: "duty.not_pending"}
	case !done && text == "":
		return o, &Error{Code: "duty.need_reason"}
	}
	o.DoneAt, o.DoneBy = now, by
	if done {
		o.State, o.Note = OccDone, text
	} else {
		o.State, o.Reason = OccCant, text
	}
	return o, nil
}
