package faultline

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// FaultState is where a ticket stands in the fault procedure.
type FaultState string

// Fault states.
const (
	FaultOpen FaultState = "open"
)

// Fault is a network fault ticket, F-<Number>.
type Fault struct {
	ID          int64
	Number      int64
	Target      string // the site name, or the host the reporter typed
	Site        string // the configured site's name; empty for an ad-hoc host
	Description string
	Reporter    string // Slack user ID
	State       FaultState
	Owner       string
	Channel     string // where the ticket's head message is
	MessageTS   string // the head message; its thread is the ticket's thread
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Ref is the ticket's name as users see it: F-12.
func (f Fault) Ref() string { return FaultRef(f.Number) }

// FaultRef formats a ticket number.
func FaultRef(n int64) string { return "F-" + strconv.FormatInt(n, 10) }

// ParseFaultRef reads "F-12", "f-12", "#12" or "12".
func ParseFaultRef(s string) (int64, error) {
	t := strings.TrimSpace(s)
	t = strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(t, "F-"), "f-"), "#")
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a ticket number", s)
	}
	return n, nil
}

// ActorBot is the actor of timeline entries the bot makes by itself.
const ActorBot = "faultline"

// EventKind says what a timeline entry records.
type EventKind string

// Timeline entry kinds.
const (
	EventCreated EventKind = "created"
	EventCheck   EventKind = "check"
	EventReply   EventKind = "reply"
	EventState   EventKind = "state"
	EventPosted  EventKind = "posted"
)

// Event is one entry on a ticket's timeline: who did what, when. Data holds
// the structured detail (a PathCheck as JSON for a check).
type Event struct {
	ID      int64
	FaultID int64
	At      time.Time
	Actor   string
	Kind    EventKind
	Text    string
	Data    string
}
