package commands

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/catalog"
	"github.com/faultline/faultline/markup"
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

// owed is one of the two reports an incident owes: what its clocks are
// called and its sentences.
type owed struct {
	reminder, overdue faultline.TimerKind
	remindKey         string
	overdueKey        string
	event             string
	hookKey           string
}

var (
	owedReport = owed{reminder: faultline.TimerReportReminder, overdue: faultline.TimerReport,
		remindKey: "iclock.remind_report", overdueKey: "iclock.overdue_report", event: "report", hookKey: "hook.incident_report"}
	owedSummary = owed{reminder: faultline.TimerSummaryReminder, overdue: faultline.TimerSummary,
		remindKey: "iclock.remind_summary", overdueKey: "iclock.overdue_summary", event: "summary", hookKey: "hook.incident_summary"}
)

// fire decides what an incident's clock running out means. A reminder
// tells the people who must act how long is left and waits for the next
// reminder point; an overdue report or summary climbs escalation.incident
// one level, exactly once per level; an overdue outside report alerts its
// role and the department head; an overdue follow-up reminds its owner and
// comes up again a day later.
func (f *incidentFlow) fire(ctx context.Context, t faultline.Timer, now time.Time) (faultline.Change, error) {
	i, err := f.store.IncidentByID(ctx, t.IncidentID)
	if err != nil {
		return faultline.Change{}, err
	}
	c := faultline.Change{IncidentID: i.ID, ReadIncident: i}
	reportDue, summaryDue := i.CreatedAt.Add(f.set.Incident.Report), i.ClosedAt.Add(f.set.Incident.Summary)
	switch {
	case t.Kind == faultline.TimerReportReminder && i.ReportOwed():
		f.remind(&c, i, i.Owner, now, reportDue, f.set.Incident.ReportReminders, owedReport)
	case t.Kind == faultline.TimerSummaryReminder && i.SummaryOwed():
		f.remind(&c, i, i.SummaryOwner, now, summaryDue, f.set.Incident.SummaryReminders, owedSummary)
	case t.Kind == faultline.TimerReport && i.ReportOwed():
		f.escalate(&c, i, i.EscLevel, now, reportDue, f.set.Incident.Report, owedReport)
	case t.Kind == faultline.TimerSummary && i.SummaryOwed():
		f.escalate(&c, i, i.SummaryLevel, now, summaryDue, f.set.Incident.Summary, owedSummary)
	case t.Kind == faultline.TimerExternalReminder && i.ExternalAt.IsZero():
		f.outsideReminder(&c, i, now)
	case t.Kind == faultline.TimerExternal && i.ExternalAt.IsZero():
		f.outsideOverdue(&c, i, now)
	case t.Kind == faultline.TimerSupplement:
		f.supplementOverdue(&c, i, now)
	default:
		if id, ok := faultline.FollowUpOf(t.Kind); ok {
			return c, f.followUpOverdue(ctx, &c, i, id, t.Kind, now)
		}
	}
	return c, nil
}

// remind tells who must act (owner, or with none the information managers)
// how long is left, in the thread and by DM, and sets the next reminder.
func (f *incidentFlow) remind(c *faultline.Change, i faultline.Incident, owner string, now, due time.Time, points []time.Duration, what owed) {
	if !due.After(now) {
		return // past due: the overdue clock speaks now
	}
	who, users := f.members(faultline.RoleInfoManager), f.set.Roles[faultline.RoleInfoManager]
	if owner != "" {
		who, users = markup.Mention(owner), []string{owner}
	}
	text := f.cat.T(what.remindKey, who, i.Ref(), f.durationText(due.Sub(now)), f.fmtTime(due))
	c.Out = append(c.Out, f.note(text))
	for _, u := range users {
		c.Out = append(c.Out, directMessage(u, faultline.Message{Text: text}))
	}
	if at, ok := nextReminder(due, now, points); ok {
		c.SetTimers = []faultline.Timer{{Kind: what.reminder, DueAt: at}}
	}
}

// escalate takes an overdue report or summary one level up
// escalation.incident: that level's people are mentioned and sent a DM,
// and the clock starts again for the next level until the chain ends.
func (f *incidentFlow) escalate(c *faultline.Change, i faultline.Incident, level int, now, due time.Time, interval time.Duration, what owed) {
	climb, ok := f.set.IncidentEscalation.Climb(level)
	if !ok {
		return
	}
	j := i
	j.UpdatedAt = now
	if what == owedSummary {
		j.SummaryLevel = climb.Level + 1
	} else {
		j.EscLevel = climb.Level + 1
	}
	text := f.cat.T(what.overdueKey, f.members(climb.Role), i.Ref(), f.durationText(now.Sub(due)),
		f.roleName(climb.Role), strconv.Itoa(climb.Level+1), strconv.Itoa(climb.Of))
	c.Incident = &j
	c.Events = []faultline.Event{{At: now, Actor: faultline.ActorBot, Kind: faultline.EventEscalation, Text: what.event, Data: string(climb.Role)}}
	c.Out = append(c.Out, f.note(text), headUpdate())
	c.Out = append(c.Out, f.dmRole(climb.Role, text+"\n"+f.cat.T("iclock.dm_where", markup.ChannelLink(f.set.IncidentsChannel)))...)
	c.Out = append(c.Out, f.hooks(HookEscalations, hookNote{textKey: what.hookKey, ref: i.Ref(),
		level: func(cat catalog.Catalog) string { return f.gradeName(cat, i) }, at: due, who: climb.Role,
		detail: markup.Escape(oneLine(i.Description, 300))})...)
	if climb.Rearm {
		c.SetTimers = []faultline.Timer{{Kind: what.overdue, DueAt: now.Add(interval)}}
	}
}

// followUpOverdue reminds the owner of an overdue follow-up, in the thread
// and by DM with its Done button, and brings it up again a day later; a
// follow-up done meanwhile ends its clock.
func (f *incidentFlow) followUpOverdue(ctx context.Context, c *faultline.Change, i faultline.Incident, id int64, kind faultline.TimerKind, now time.Time) error {
	all, err := f.store.FollowUps(ctx, i.ID)
	if err != nil {
		return err
	}
	for n, fu := range all {
		if fu.ID != id || !fu.DoneAt.IsZero() {
			continue
		}
		text := f.cat.T("iclock.followup", markup.Mention(fu.Owner), i.Ref(), markup.Escape(fu.Text), f.fmtDate(fu.Due))
		c.Out = append(c.Out, f.note(text), directMessage(fu.Owner, faultline.Message{
			Text:    text,
			Buttons: []faultline.Button{{ID: ActionFollowUp, Label: f.cat.T("ibutton.followup_done"), Value: followUpRef(i, n+1), Style: "primary"}},
		}))
		c.SetTimers = []faultline.Timer{{Kind: kind, DueAt: now.Add(followUpEvery)}}
	}
	return nil
}

// followUpRef names the n-th follow-up (1-based) of an incident: I-3#2.
func followUpRef(i faultline.Incident, n int) string { return i.Ref() + "#" + strconv.Itoa(n) }

// followUpDone marks a follow-up done: its owner or a security role may.
// Anyone who may not read the incident is answered as if it did not exist.
func (f *incidentFlow) followUpDone(ctx context.Context, a Action) Response {
	ref, nText, _ := strings.Cut(a.Value, "#")
	n, _ := strconv.Atoi(nText)
	missing := f.say(f.cat.T("inc.not_found", markup.Escape(ref)))
	num, err := faultline.ParseIncidentRef(ref)
	if err != nil {
		return missing
	}
	inc, err := f.store.Incident(ctx, num)
	if errors.Is(err, faultline.ErrNotFound) {
		return missing
	}
	if err != nil {
		return f.internal(ctx, "follow-up's incident", err)
	}
	all, err := f.store.FollowUps(ctx, inc.ID)
	if err != nil {
		return f.internal(ctx, "follow-ups", err)
	}
	if n < 1 || n > len(all) || (a.User != all[n-1].Owner && !inc.ReadableBy(f.actor(a.User))) {
		return missing
	}
	fu := all[n-1]
	if a.User != fu.Owner && !faultline.MayReadIncidents(f.actor(a.User).Roles) {
		return f.say(f.cat.T("ifollowup.not_yours", markup.Mention(fu.Owner)))
	}
	now := f.now()
	err = f.commit(ctx, faultline.Change{
		IncidentID: inc.ID, Done: []faultline.FollowUp{{ID: fu.ID, DoneBy: a.User, DoneAt: now}},
		Events: []faultline.Event{{At: now, Actor: a.User, Kind: faultline.EventState, Text: "followup_done", Data: fu.Text}},
		Out:    []faultline.Outgoing{f.note(f.cat.T("inote.followup_done", markup.Mention(a.User), markup.Escape(fu.Text), inc.Ref()))},
	})
	if errors.Is(err, faultline.ErrConflict) {
		return f.say(f.cat.T("ifollowup.already"))
	}
	if err != nil {
		return f.internal(ctx, "follow-up done", err)
	}
	return f.say(f.cat.T("ifollowup.done", markup.Escape(fu.Text)))
}
