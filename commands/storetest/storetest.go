// Package storetest is the contract every store behind the flows keeps,
// written as tests against the ports of package commands, the way River's
// driver tests let any driver prove itself. storage.DB passes it on SQLite
// and PostgreSQL; a new backend calls Run from its own tests.
//
// The contract is what the flows rely on: numbers handed out once, a
// change committed whole or not at all and only on the row as read, a
// clock answered once however many processes read it, messages kept in
// order per key, and every lookup of a missing record faultline.ErrNotFound.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/commands"
)

// Open returns a fresh, empty store for one test, and a function that
// opens another handle on the same database, as a second process would.
// Both are closed when the test ends.
type Open func(t *testing.T) (store commands.Store, another func() commands.Store)

// contract is one test of the suite.
type contract struct {
	name string
	run  func(t *testing.T, open Open)
}

// Run runs the whole contract against stores from open, each test on a
// fresh store, in parallel.
func Run(t *testing.T, open Open) {
	var all []contract
	all = append(all, faultContracts...)
	all = append(all, incidentContracts...)
	all = append(all, timerContracts...)
	all = append(all, outboxContracts...)
	all = append(all, dutyContracts...)
	all = append(all, scheduleContracts...)
	all = append(all, monitorContracts...)
	all = append(all, requestContracts...)
	all = append(all, taskContracts...)
	for _, c := range all {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, open)
		})
	}
}

// t0 is when every test's story starts.
var t0 = time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC)

var ctx = context.Background()

func newFault(desc string) faultline.Fault {
	return faultline.Fault{
		Target: "office-a", Site: "office-a", Description: desc,
		Reporter: "U0REPORTER", State: faultline.FaultOpen, CreatedAt: t0,
	}
}

func create(t *testing.T, s commands.Store, desc string) faultline.Fault {
	t.Helper()
	f, err := s.CreateFault(ctx, newFault(desc), faultline.Change{})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func post(text string) faultline.Outgoing {
	return faultline.Outgoing{Kind: faultline.OutPost, Thread: true, Message: faultline.Message{Channel: "C0FAULTS", Text: text}}
}

func head(channel string) []faultline.Outgoing {
	return []faultline.Outgoing{{Kind: faultline.OutHead, Message: faultline.Message{Channel: channel}}}
}

// pending is what the outbox holds at now, failing the test unless it is
// want messages.
func pending(t *testing.T, s commands.Store, now time.Time, want int) []faultline.Outgoing {
	t.Helper()
	p, err := s.PendingOutbox(ctx, now, 1000)
	if err != nil || len(p) != want {
		t.Fatalf("pending at %s = %d messages (%v), want %d: %+v", now.Format(time.TimeOnly), len(p), err, want, p)
	}
	return p
}

// timersOf lists the pending clocks of a ticket (or, with incident, an
// incident), through the port: every clock is due by the end of time.
func timersOf(t *testing.T, s commands.Store, faultID, incidentID int64) []faultline.Timer {
	t.Helper()
	all, err := s.DueTimers(ctx, t0.AddDate(100, 0, 0), 10000)
	if err != nil {
		t.Fatal(err)
	}
	var out []faultline.Timer
	for _, tm := range all {
		if tm.FaultID == faultID && tm.IncidentID == incidentID {
			out = append(out, tm)
		}
	}
	return out
}

func actor(user string, roles ...faultline.Role) faultline.Actor {
	return faultline.Actor{User: user, Roles: roles}
}
