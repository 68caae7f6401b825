package commands

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/catalog"
	"github.com/faultline/faultline/markup"
)

// The outside report (《国家网络安全事件报告管理办法》): an incident graded
// 较大 or above is reported to the authority the operator type names,
// within its deadline from the declaration; what was not yet known is
// supplemented (补报) later, by its own deadline.

// outsideDue is when i must be reported outside, and whether it must.
func (f *incidentFlow) outsideDue(i faultline.Incident) (time.Time, bool) {
	within := f.set.Compliance.Within(f.set.Compliance.levelOf(i))
	if within == 0 {
		return time.Time{}, false
	}
	return i.CreatedAt.Add(within), true
}

// outsideOwed reports whether i's outside report is owed and not made.
func (f *incidentFlow) outsideOwed(i faultline.Incident) bool {
	_, owed := f.outsideDue(i)
	return owed && i.ExternalAt.IsZero()
}

// outsideState is the head's line on the outside report: due by when, or
// made to whom, how and when, and the supplement it owes.
func (f *incidentFlow) outsideState(i faultline.Incident) string {
	if !i.ExternalAt.IsZero() {
		o := i.Outside
		text := f.cat.T("inc.outside_done", markup.Escape(o.To), f.channelName(o.Channel), markup.Escape(orDash(o.Reference)),
			f.fmtTime(o.At), markup.Mention(i.ExternalBy))
		if !i.SupplementDue.IsZero() {
			text += "\n" + f.cat.T("inc.supplement_due", f.fmtTime(i.SupplementDue))
		}
		return text
	}
	due, _ := f.outsideDue(i)
	left := due.Sub(f.now())
	if left <= 0 {
		return f.cat.T("inc.outside_overdue", markup.Escape(f.set.Compliance.Authority), f.fmtTime(due), f.durationText(-left))
	}
	return f.cat.T("inc.outside_due", markup.Escape(f.set.Compliance.Authority), f.fmtTime(due), f.durationText(left))
}

// The catalog's names of the report channels and the national levels,
// and the notes of a report made outside.
var (
	reportChannelKeys = map[string]string{
		"hotline": "outside.channel.hotline", "website": "outside.channel.website", "wechat": "outside.channel.wechat",
		"miniprogram": "outside.channel.miniprogram", "email": "outside.channel.email", "fax": "outside.channel.fax",
		"in_person": "outside.channel.in_person", "other": "outside.channel.other",
	}
	outsideDueKeys = map[bool]string{false: "inote.outside_due", true: "inote.outside_late"}
	levelKeys      = map[faultline.Level]string{
		faultline.LevelGeneral: "level.general", faultline.LevelSignificant: "level.significant",
		faultline.LevelSerious: "level.serious", faultline.LevelExtraordinary: "level.extraordinary",
	}
	outsideNoteKeys = map[faultline.IncidentAction]string{
		faultline.IncExternal: "inote.external", faultline.IncSupplement: "inote.supplement",
	}
)

func (f *incidentFlow) channelName(ch string) string {
	if key, ok := reportChannelKeys[ch]; ok {
		return f.cat.T(key)
	}
	return markup.Escape(orDash(ch))
}

// levelName is the national level's name in cat.
func levelName(cat catalog.Catalog, l faultline.Level) string {
	if key, ok := levelKeys[l]; ok {
		return cat.T(key)
	}
	return cat.T("sev.none")
}

// gradeName is how i's grade reads in cat: its national level, or its
// severity under the procedure's scheme.
func (f *incidentFlow) gradeName(cat catalog.Catalog, i faultline.Incident) string {
	if l := f.set.Compliance.levelOf(i); l != "" && (f.set.Compliance.National || i.Level != "") {
		return levelName(cat, l)
	}
	if key, ok := severityKeys[i.Severity]; ok {
		return cat.T(key)
	}
	return cat.T("sev.none")
}

// outsideClock starts, moves or stops the outside report's clocks after a
// classification: a grade that must be reported starts its deadline and
// reminders (a grade whose deadline differs moves them); a grade that need
// not be reported stops them.
func (f *incidentFlow) outsideClock(c *faultline.Change, before, after faultline.Incident) {
	if !after.ExternalAt.IsZero() {
		return
	}
	due, owed := f.outsideDue(after)
	dueBefore, owedBefore := f.outsideDue(before)
	switch {
	case !owed && owedBefore:
		c.CancelTimers = append(c.CancelTimers, faultline.TimerExternal, faultline.TimerExternalReminder)
		c.Out = append(c.Out, f.note(f.cat.T("inote.outside_off", f.gradeName(f.cat, after))))
	case owed && (!owedBefore || !due.Equal(dueBefore) || f.set.Compliance.levelOf(before) != f.set.Compliance.levelOf(after)):
		c.SetTimers = append(c.SetTimers, faultline.Timer{Kind: faultline.TimerExternal, DueAt: due})
		if at, ok := nextReminder(due, f.now(), f.set.Compliance.Reminders); ok {
			c.SetTimers = append(c.SetTimers, faultline.Timer{Kind: faultline.TimerExternalReminder, DueAt: at})
		}
		late := !due.After(f.now()) // a regrade of a report already late: no time is left
		c.Out = append(c.Out, f.note(f.cat.T(outsideDueKeys[late], f.members(f.set.Compliance.Role), after.Ref(),
			f.gradeName(f.cat, after), markup.Escape(f.set.Compliance.Authority), f.fmtTime(due), markup.Escape(orDash(f.set.Compliance.Note)))))
	}
}

// outsideReminder tells the role that reports how long is left.
func (f *incidentFlow) outsideReminder(c *faultline.Change, i faultline.Incident, now time.Time) {
	due, owed := f.outsideDue(i)
	if !owed || !due.After(now) {
		return
	}
	text := f.cat.T("iclock.remind_outside", f.members(f.set.Compliance.Role), i.Ref(), markup.Escape(f.set.Compliance.Authority),
		f.durationText(due.Sub(now)), f.fmtTime(due))
	c.Out = append(append(c.Out, f.note(text)), f.dmRole(f.set.Compliance.Role, text)...)
	if at, ok := nextReminder(due, now, f.set.Compliance.Reminders); ok {
		c.SetTimers = []faultline.Timer{{Kind: faultline.TimerExternalReminder, DueAt: at}}
	}
}

// outsideOverdue escalates a late outside report to the department head
// and the executive, once per level: a regrade above the level escalated
// escalates again, one below it does not.
func (f *incidentFlow) outsideOverdue(c *faultline.Change, i faultline.Incident, now time.Time) {
	due, owed := f.outsideDue(i)
	level := f.set.Compliance.levelOf(i)
	if !owed || now.Before(due) || i.ExternalLevel.Rank() >= level.Rank() {
		return
	}
	j := i
	j.ExternalLevel, j.UpdatedAt = level, now
	c.Incident = &j
	late := f.durationText(now.Sub(due))
	text := f.cat.T("iclock.outside_overdue", f.members(faultline.RoleDeptHead)+" "+f.members(faultline.RoleExec), i.Ref(),
		f.gradeName(f.cat, i), markup.Escape(f.set.Compliance.Authority), f.fmtTime(due), late)
	c.Events = []faultline.Event{{At: now, Actor: faultline.ActorBot, Kind: faultline.EventEscalation, Text: "outside", Data: string(level)}}
	c.Out = append(c.Out, f.note(text), headUpdate())
	where := "\n" + f.cat.T("iclock.dm_where", markup.ChannelLink(f.set.IncidentsChannel))
	c.Out = append(c.Out, f.dmRole(faultline.RoleDeptHead, text+where)...)
	c.Out = append(c.Out, f.dmRole(faultline.RoleExec, text+where)...)
	c.Out = append(c.Out, f.hooks(HookOverdue, hookNote{textKey: "hook.outside_overdue", ref: i.Ref(),
		level: func(cat catalog.Catalog) string { return f.gradeName(cat, i) }, at: due,
		detail: markup.Escape(oneLine(i.Description, 300))})...)
}

// supplementOverdue tells the reporting role and the department head that
// the supplement is late; it is said once, since its clock is not set again.
func (f *incidentFlow) supplementOverdue(c *faultline.Change, i faultline.Incident, now time.Time) {
	if i.SupplementDue.IsZero() || now.Before(i.SupplementDue) {
		return
	}
	text := f.cat.T("iclock.supplement_overdue", f.members(f.set.Compliance.Role), i.Ref(), markup.Escape(i.Outside.To),
		f.fmtTime(i.SupplementDue), markup.Escape(i.Outside.Pending))
	c.Out = append(c.Out, f.note(text))
	c.Out = append(c.Out, f.dmRole(f.set.Compliance.Role, text)...)
	c.Out = append(c.Out, f.dmRole(faultline.RoleDeptHead, text)...)
	c.Out = append(c.Out, f.hooks(HookOverdue, hookNote{textKey: "hook.supplement_overdue", ref: i.Ref(),
		level: func(cat catalog.Catalog) string { return f.gradeName(cat, i) }, at: i.SupplementDue})...)
}

// outsideEffects are what recording an outside report or its supplement
// starts and stops: the deadline's clocks end, and what it left pending
// gets the supplement's clock.
func (f *incidentFlow) outsideEffects(c *faultline.Change, after faultline.Incident, action faultline.IncidentAction) {
	if action == faultline.IncExternal {
		c.CancelTimers = append(c.CancelTimers, faultline.TimerExternal, faultline.TimerExternalReminder)
	}
	if after.SupplementDue.IsZero() {
		c.CancelTimers = append(c.CancelTimers, faultline.TimerSupplement)
		return
	}
	c.SetTimers = append(c.SetTimers, faultline.Timer{Kind: faultline.TimerSupplement, DueAt: after.SupplementDue})
}

// outsideNote is the thread's note of a report made outside or its supplement.
func (f *incidentFlow) outsideNote(i faultline.Incident, action faultline.IncidentAction, by string, o faultline.OutsideReport) string {
	text := f.cat.T(outsideNoteKeys[action], markup.Mention(by), i.Ref(), markup.Escape(o.To), f.channelName(o.Channel), markup.Escape(orDash(o.Reference)), f.fmtTime(o.At))
	if action == faultline.IncSupplement {
		text += "\n" + markup.Quote(markup.Escape(o.Text))
	}
	if !i.SupplementDue.IsZero() {
		text += "\n" + f.cat.T("inote.pending", markup.Escape(o.Pending), f.fmtTime(i.SupplementDue))
	}
	return text
}

// outsideDetail is what the timeline keeps of a report made outside: the
// report itself, as JSON, so the archive and the exports list every one.
func outsideDetail(o faultline.OutsideReport) string {
	b, _ := json.Marshal(o) // strings and a time: cannot fail
	return string(b)
}

// outsideReports are the reports made outside for i, first report and
// supplements, from its timeline.
func outsideReports(events []faultline.Event) []faultline.OutsideReport {
	var out []faultline.OutsideReport
	for _, e := range events {
		if e.Kind != faultline.EventState || (e.Text != string(faultline.IncExternal) && e.Text != string(faultline.IncSupplement)) {
			continue
		}
		var o faultline.OutsideReport
		if json.Unmarshal([]byte(e.Data), &o) == nil {
			out = append(out, o)
		}
	}
	return out
}

// parseWhen reads when a report was made: "" is now; "15:04" the last
// such time (today, or yesterday when today's is still ahead: 23:50 typed
// at 00:10); "2006-01-02 15:04" a day and time, in the configured zone. A
// time ahead of now is refused.
func (f *incidentFlow) parseWhen(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	now := f.now()
	if s == "" {
		return now, true
	}
	loc := f.set.Location
	if t, err := time.ParseInLocation("2006-01-02 15:04", s, loc); err == nil {
		return t, !t.After(now.Add(time.Minute))
	}
	if t, err := time.ParseInLocation("15:04", s, loc); err == nil {
		y, m, d := now.In(loc).Date()
		at := time.Date(y, m, d, t.Hour(), t.Minute(), 0, 0, loc)
		if at.After(now.Add(time.Minute)) {
			at = time.Date(y, m, d-1, t.Hour(), t.Minute(), 0, 0, loc)
		}
		return at, true
	}
	return time.Time{}, false
}
