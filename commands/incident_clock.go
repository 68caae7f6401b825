package commands

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/faultline/faultline"
)

// followUpEvery is how often an overdue follow-up is brought up again.
const followUpEvery = 24 * time.Hour

// nextReminder is when to remind next before due, given reminder points as
// time left (30m, 10m): the earliest point still ahead of now.
func nextReminder(due, now time.Time, points []time.Duration) (time.Time, bool) {
	var best time.Time
	for _, p := range points {
		at := due.Add(-p)
		if at.After(now) && (best.IsZero() || at.Before(best)) {
			best = at
		}
	}
	return best, !best.IsZero()
}

// fireIncident decides what an incident's clock running out means. A
// reminder tells the people who must act how long is left and waits for
// the next reminder point; an overdue report or summary climbs
// escalation.incident one level, exactly once per level; an overdue
// outside report alerts its role and the department head.
func (s *Service) fireIncident(t faultline.Timer, i faultline.Incident, now time.Time) Change {
	c := Change{IncidentID: i.ID, ReadIncident: i}
	switch {
	case t.Kind == faultline.TimerReportReminder && reportOwed(i):
		s.remind(&c, i, now, i.CreatedAt.Add(s.settings.Incident.Report), s.settings.Incident.ReportReminders, "report")
	case t.Kind == faultline.TimerSummaryReminder && i.State == faultline.IncClosed:
		s.remind(&c, i, now, i.ClosedAt.Add(s.settings.Incident.Summary), s.settings.Incident.SummaryReminders, "summary")
	case t.Kind == faultline.TimerReport && reportOwed(i):
		s.escalateIncident(&c, i, now, "report")
	case t.Kind == faultline.TimerSummary && i.State == faultline.IncClosed:
		s.escalateIncident(&c, i, now, "summary")
	case t.Kind == faultline.TimerExternal && i.ExternalAt.IsZero():
		duty := s.externalDuty(i)
		text := s.cat.T("iclock.external", s.members(duty.Role), i.Ref(), faultline.Escape(duty.Authority))
		c.Out = append(append(c.Out, s.incidentNote(text)), s.dmRole(faultline.RoleDeptHead, text)...)
	case strings.HasPrefix(string(t.Kind), "followup-"):
		// The follow-up itself is read after this commits (followUpReminders):
		// here its clock only starts again, for the next day.
		c.SetTimers = []faultline.Timer{{Kind: t.Kind, DueAt: now.Add(followUpEvery)}}
	}
	return c
}

func reportOwed(i faultline.Incident) bool {
	return i.State == faultline.IncOpen || i.State == faultline.IncHandling
}

// remind tells the handler (or, with none, the information managers) how
// long is left, in the thread and by DM, and sets the next reminder.
func (s *Service) remind(c *Change, i faultline.Incident, now, due time.Time, points []time.Duration, what string) {
	if !due.After(now) {
		return // past due: the overdue clock speaks now
	}
	who := s.members(faultline.RoleInfoManager)
	users := s.settings.Roles[faultline.RoleInfoManager]
	owner := i.Owner
	if what == "summary" {
		owner = i.SummaryOwner
	}
	if owner != "" {
		who, users = faultline.Mention(owner), []string{owner}
	}
	text := s.cat.T("iclock.remind_"+what, who, i.Ref(), durationText(due.Sub(now)), s.fmtClock(due))
	c.Out = append(c.Out, s.incidentNote(text))
	for _, u := range users {
		c.Out = append(c.Out, directMessage(u, Message{Text: text}))
	}
	kind := faultline.TimerReportReminder
	if what == "summary" {
		kind = faultline.TimerSummaryReminder
	}
	if at, ok := nextReminder(due, now, points); ok {
		c.SetTimers = []faultline.Timer{{Kind: kind, DueAt: at}}
	}
}

// escalateIncident takes an overdue report or summary one level up
// escalation.incident: that level's people are mentioned and sent a DM,
// and the clock starts again for the next level until the chain ends.
func (s *Service) escalateIncident(c *Change, i faultline.Incident, now time.Time, what string) {
	chain := s.settings.IncidentEscalation
	level, kind, due := i.EscLevel, faultline.TimerReport, i.CreatedAt.Add(s.settings.Incident.Report)
	interval := s.settings.Incident.Report
	if what == "summary" {
		level, kind, due, interval = i.SummaryLevel, faultline.TimerSummary, i.ClosedAt.Add(s.settings.Incident.Summary), s.settings.Incident.Summary
	}
	if level >= len(chain) {
		return
	}
	j := i
	j.UpdatedAt = now
	if what == "summary" {
		j.SummaryLevel++
	} else {
		j.EscLevel++
	}
	role := chain[level]
	text := s.cat.T("iclock.overdue_"+what, s.members(role), i.Ref(), durationText(now.Sub(due)),
		s.cat.T("role."+string(role)), strconv.Itoa(level+1), strconv.Itoa(len(chain)))
	c.Incident = &j
	c.Events = []faultline.Event{{At: now, Actor: faultline.ActorBot, Kind: faultline.EventEscalation, Text: what, Data: string(role)}}
	c.Out = append(c.Out, s.incidentNote(text), headUpdate())
	c.Out = append(c.Out, s.dmRole(role, text+"\n"+s.cat.T("iclock.dm_where", faultline.ChannelLink(s.settings.IncidentsChannel)))...)
	if level+1 < len(chain) {
		c.SetTimers = []faultline.Timer{{Kind: kind, DueAt: now.Add(interval)}}
	}
}

// followUpReminders reminds the owners of overdue follow-ups whose clocks
// just ran out (the clocks themselves were set again by fireIncident).
func (s *Service) followUpReminders(ctx context.Context, fired []faultline.Timer) {
	for _, t := range fired {
		idText, ok := strings.CutPrefix(string(t.Kind), "followup-")
		if !ok {
			continue
		}
		id, _ := strconv.ParseInt(idText, 10, 64)
		if err := s.remindFollowUp(ctx, t.IncidentID, id); err != nil {
			s.log.ErrorContext(ctx, "follow-up reminder", "followup_id", id, "err", err)
		}
	}
}

func (s *Service) remindFollowUp(ctx context.Context, incidentID, id int64) error {
	f, err := s.store.FollowUp(ctx, id)
	if err != nil || !f.DoneAt.IsZero() {
		return err
	}
	inc, err := s.store.IncidentByID(ctx, incidentID)
	if err != nil {
		return err
	}
	n, err := s.followUpIndex(ctx, inc, id)
	if err != nil {
		return err
	}
	text := s.cat.T("iclock.followup", faultline.Mention(f.Owner), inc.Ref(), faultline.Escape(f.Text), s.fmtDate(f.Due))
	return s.commit(ctx, Change{IncidentID: inc.ID, Out: []Outgoing{s.incidentNote(text), directMessage(f.Owner, Message{
		Text:    text,
		Buttons: []Button{{ID: ActionFollowUp, Label: s.cat.T("ibutton.followup_done"), Value: followUpRef(inc, n), Style: "primary"}},
	})}})
}

func (s *Service) followUpIndex(ctx context.Context, inc faultline.Incident, id int64) (int, error) {
	all, err := s.store.FollowUps(ctx, inc.ID)
	if err != nil {
		return 0, err
	}
	for n, f := range all {
		if f.ID == id {
			return n + 1, nil
		}
	}
	return 0, faultline.ErrNotFound
}

// followUpDone marks a follow-up done: its owner or a security role may.
func (s *Service) followUpDone(ctx context.Context, a Action) Response {
	ref, nText, _ := strings.Cut(a.Value, "#")
	n, _ := strconv.Atoi(nText)
	num, err := faultline.ParseIncidentRef(ref)
	if err != nil {
		return Response{Reply: s.ephemeral(s.cat.T("action.unknown"))}
	}
	inc, err := s.store.Incident(ctx, num)
	if err != nil {
		return s.internal(ctx, "follow-up's incident", err)
	}
	all, err := s.store.FollowUps(ctx, inc.ID)
	if err != nil || n < 1 || n > len(all) {
		return Response{Reply: s.ephemeral(s.cat.T("action.unknown"))}
	}
	f := all[n-1]
	if a.User != f.Owner && !s.mayReadIncidents(a.User) {
		return Response{Reply: s.ephemeral(s.cat.T("ifollowup.not_yours", faultline.Mention(f.Owner)))}
	}
	now := s.now()
	err = s.commit(ctx, Change{
		IncidentID: inc.ID, Done: []faultline.FollowUp{{ID: f.ID, DoneBy: a.User, DoneAt: now}},
		Events: []faultline.Event{{At: now, Actor: a.User, Kind: faultline.EventState, Text: "followup_done", Data: f.Text}},
		Out:    []Outgoing{s.incidentNote(s.cat.T("inote.followup_done", faultline.Mention(a.User), faultline.Escape(f.Text), inc.Ref()))},
	})
	if errors.Is(err, faultline.ErrConflict) {
		return Response{Reply: s.ephemeral(s.cat.T("ifollowup.already"))}
	}
	if err != nil {
		return s.internal(ctx, "follow-up done", err)
	}
	return Response{Reply: s.ephemeral(s.cat.T("ifollowup.done", faultline.Escape(f.Text)))}
}

func (s *Service) fmtClock(t time.Time) string { return s.fmtTime(t) }

func (s *Service) fmtDate(t time.Time) string {
	return t.In(s.settings.Location).Format("2006-01-02")
}

func isNotFound(err error) bool { return errors.Is(err, faultline.ErrNotFound) }
