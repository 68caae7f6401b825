package commands

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/faultline/faultline"
)

// Schedule names: "announce:<name>", "monitor:<site>", "digest".
const (
	schedAnnounce = "announce:"
	schedMonitor  = "monitor:"
	schedDigest   = "digest"
)

func (s *Service) scheduleSpecs() map[string]string {
	specs := map[string]string{}
	for _, a := range s.settings.Announcements {
		specs[schedAnnounce+a.Name] = a.Schedule
	}
	for _, m := range s.settings.Monitors {
		specs[schedMonitor+m.Site] = m.Schedule
	}
	if s.settings.Digest.Schedule != "" {
		specs[schedDigest] = s.settings.Digest.Schedule
	}
	return specs
}

// runSchedules claims the announcements, monitor checks and digests that
// are due, once each across processes and once after a downtime, then does
// the slow ones (pinging, counting the week) after their claim.
func (s *Service) runSchedules(ctx context.Context, now time.Time) error {
	if s.sched == nil {
		return nil
	}
	specs := s.scheduleSpecs()
	fired, err := s.store.FireDueSchedules(ctx, now, 50, func(name string, due time.Time) (time.Time, Change) {
		next, nerr := s.sched.Next(specs[name], now)
		if nerr != nil || specs[name] == "" {
			next = now.Add(dutyFallbackPeriod)
		}
		return next, s.announcement(name)
	})
	errs := []error{err}
	for _, f := range fired {
		switch {
		case f.Name == schedDigest:
			errs = append(errs, s.sendDigest(ctx, f.Due))
		case strings.HasPrefix(f.Name, schedMonitor):
			errs = append(errs, s.runMonitor(ctx, strings.TrimPrefix(f.Name, schedMonitor), now))
		}
	}
	if len(fired) > 0 {
		s.nudge()
	}
	return errors.Join(errs...)
}

// announcement is the post a scheduled announcement makes
// (定期发布病毒防治的数据资料), committed with its claim.
func (s *Service) announcement(name string) Change {
	a, ok := s.announcementSpec(strings.TrimPrefix(name, schedAnnounce))
	if !ok || !strings.HasPrefix(name, schedAnnounce) {
		return Change{}
	}
	return Change{Out: []Outgoing{{Kind: OutPost, Message: Message{Channel: a.Channel, Text: faultline.Escape(a.Text)}}}}
}

func (s *Service) announcementSpec(name string) (AnnouncementSpec, bool) {
	for _, a := range s.settings.Announcements {
		if a.Name == name {
			return a, true
		}
	}
	return AnnouncementSpec{}, false
}

// runMonitor checks a monitored site's path and folds the result into the
// monitor's memory (对网络运行情况了解): after the threshold of failures of
// the same hop it opens one ticket for the outage, reporter the bot, with
// the check history; it posts the recovery in that ticket; a flapping hop
// is said to flap, once, instead of opening ticket after ticket.
func (s *Service) runMonitor(ctx context.Context, site string, now time.Time) error {
	spec, ok := s.monitorSpec(site)
	t, known := s.resolve(site)
	if !ok || !known {
		return nil
	}
	c := s.check(ctx, t)
	if c.Verdict.Kind == faultline.VerdictUnknown {
		s.log.WarnContext(ctx, "monitor could not check", "site", site, "err", firstError(c.Results))
		return nil
	}
	failing := ""
	if c.Verdict.Failing >= 0 {
		failing = c.Hops[c.Verdict.Failing].Name
	}
	read, err := s.store.MonitorState(ctx, t.name)
	if err != nil {
		return err
	}
	next, action := read.Observe(failing, spec.Failures, spec.quiet(now, s.settings.Location), now)
	change := Change{}
	switch action {
	case faultline.MonOpen:
		f, err := s.openFromMonitor(ctx, t, c, next, spec)
		if err != nil {
			return err
		}
		next.FaultID = f.ID
	case faultline.MonRecovered:
		change = s.recoveryNote(ctx, read.FaultID, t, c)
	case faultline.MonFlapping:
		change = Change{FaultID: read.FaultID, Out: []Outgoing{s.flappingNote(read, next, t, failing)}}
	}
	return s.store.SaveMonitorState(ctx, read, next, change)
}

func (s *Service) monitorSpec(site string) (MonitorSpec, bool) {
	for _, m := range s.settings.Monitors {
		if m.Site == site {
			return m, true
		}
	}
	return MonitorSpec{}, false
}

// openFromMonitor opens the outage's ticket with the failing checks in its
// description and this check in its thread.
func (s *Service) openFromMonitor(ctx context.Context, t target, c faultline.PathCheck, st faultline.MonitorState, spec MonitorSpec) (faultline.Fault, error) {
	desc := s.cat.T("mon.description", st.Failing, st.Consecutive, history(st.History))
	f, err := s.open(ctx, faultline.ActorBot, t, desc)
	if err != nil {
		return f, err
	}
	change, err := s.checkChange(ctx, f, c, faultline.ActorBot)
	if err != nil {
		return f, err
	}
	return f, s.commit(ctx, change)
}

func history(h string) string {
	return strings.NewReplacer("U", "✅", "D", "❌").Replace(h)
}

// recoveryNote posts, in the outage's ticket, that the path answers again
// and asks its owner (or those on duty) to confirm and close.
func (s *Service) recoveryNote(ctx context.Context, faultID int64, t target, c faultline.PathCheck) Change {
	f, err := s.store.FaultByID(ctx, faultID)
	if err != nil {
		s.log.WarnContext(ctx, "monitor recovery", "fault_id", faultID, "err", err)
		return Change{}
	}
	who := s.members(s.onDuty(f))
	if f.Owner != "" {
		who = faultline.Mention(f.Owner)
	}
	m := s.checkMessage(c, f.Number)
	m.Channel = s.settings.FaultsChannel
	return Change{FaultID: f.ID, Out: []Outgoing{threadPost(m), s.threadNote(s.cat.T("mon.recovered", faultline.Escape(t.name), who, f.Ref()))}}
}

func (s *Service) flappingNote(read, next faultline.MonitorState, t target, hop string) Outgoing {
	text := s.cat.T("mon.flapping", faultline.Escape(hop), faultline.Escape(t.name), history(next.History))
	if read.FaultID != 0 {
		return s.threadNote(text)
	}
	return Outgoing{Kind: OutPost, Message: Message{Channel: s.settings.FaultsChannel, Text: text}}
}
