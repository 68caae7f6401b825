package commands

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/faultline/faultline"
)

// FireDue is the unit of work of the clock job: it runs out the ticket and
// incident clocks due now, each exactly once however many processes run
// it, does the checks that confirmed restarts scheduled, then the duties
// (occurrences, reminders, escalations) and the schedules (announcements,
// monitors, the digest).
func (s *Service) FireDue(ctx context.Context) error {
	now := s.now()
	return errors.Join(s.fireTimers(ctx, now), s.runDuties(ctx, now), s.runSchedules(ctx, now))
}

func (s *Service) fireTimers(ctx context.Context, now time.Time) error {
	levels := map[int64]int{}
	fired, err := s.store.FireDueTimers(ctx, now, 100, func(t faultline.Timer, sub Subject) Change {
		if sub.Incident != nil {
			return s.fireIncident(t, *sub.Incident, now)
		}
		c := s.fire(t, *sub.Fault, now)
		if c.Fault != nil {
			levels[t.FaultID] = c.Fault.EscLevel
		} else {
			delete(levels, t.FaultID)
		}
		return c
	})
	if len(fired) > 0 {
		s.nudge()
	}
	s.followUpReminders(ctx, fired)
	for _, t := range fired {
		if t.FaultID == 0 {
			continue
		}
		if lvl, ok := levels[t.FaultID]; ok && t.Kind != faultline.TimerRecheck {
			s.rec.Escalated(lvl, s.settings.Escalation[lvl])
		}
		if t.Kind == faultline.TimerRecheck {
			s.recheckAfterRestart(ctx, t.FaultID)
		}
	}
	return err
}

// fire decides what a clock running out means for ticket f. A clock whose
// risk has passed (taken, closed) does nothing. Otherwise the ticket goes
// one level up the escalation chain, exactly once per level: the level's
// people are mentioned in the thread and sent a DM, and the clock starts
// again for the next level, until the chain ends.
func (s *Service) fire(t faultline.Timer, f faultline.Fault, now time.Time) Change {
	c := Change{FaultID: f.ID, Read: f}
	if t.Kind == faultline.TimerRecheck || !s.stillAtRisk(t.Kind, f) {
		return c
	}
	chain := s.settings.Escalation
	level := f.EscLevel + 1
	if level >= len(chain) {
		return c
	}
	g := f
	g.EscLevel, g.UpdatedAt = level, now
	role := chain[level]
	note := s.cat.T("esc."+string(t.Kind), s.members(role), g.Ref(), durationText(now.Sub(f.CreatedAt)),
		s.cat.T("role."+string(role)), strconv.Itoa(level+1), strconv.Itoa(len(chain)))
	c.Fault = &g
	c.Events = []faultline.Event{{At: now, Actor: faultline.ActorBot, Kind: faultline.EventEscalation, Text: string(t.Kind), Data: string(role)}}
	c.Out = []Outgoing{s.threadNote(note), headUpdate()}
	for _, u := range s.settings.Roles[role] {
		c.Out = append(c.Out, directMessage(u, Message{Text: note + "\n" + s.cat.T("esc.dm_where", faultline.ChannelLink(s.settings.FaultsChannel))}))
	}
	if level+1 < len(chain) {
		c.SetTimers = []faultline.Timer{{Kind: t.Kind, DueAt: now.Add(s.interval(t.Kind, g))}}
	}
	return c
}

func (s *Service) stillAtRisk(kind faultline.TimerKind, f faultline.Fault) bool {
	switch kind {
	case faultline.TimerAck:
		return f.State == faultline.FaultOpen
	case faultline.TimerDevice:
		return f.State != faultline.FaultClosed && f.Verdict == faultline.VerdictDevice
	case faultline.TimerLine:
		return f.State != faultline.FaultClosed && f.Verdict == faultline.VerdictLine
	}
	return f.State != faultline.FaultClosed
}

func (s *Service) interval(kind faultline.TimerKind, f faultline.Fault) time.Duration {
	d := s.settings.Deadlines
	switch kind {
	case faultline.TimerAck:
		return d.Ack
	case faultline.TimerDevice:
		return d.Device
	case faultline.TimerLine:
		return s.lineLimit(f)
	}
	return d.Resolve
}

// recheckAfterRestart checks the path a confirmed restart was for, and
// says so in the thread.
func (s *Service) recheckAfterRestart(ctx context.Context, faultID int64) {
	f, err := s.store.FaultByID(ctx, faultID)
	if err != nil {
		s.log.WarnContext(ctx, "recheck after restart", "fault_id", faultID, "err", err)
		return
	}
	t, ok := s.targetOf(f)
	if !ok || f.State == faultline.FaultClosed {
		return
	}
	if err := s.checkFault(ctx, f.Number, t, faultline.ActorBot, nil); err != nil {
		s.log.ErrorContext(ctx, "recheck after restart", "fault", f.Ref(), "err", err)
	}
}
