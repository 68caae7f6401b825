package commands

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/markup"
)

// dutyAdmins may add, pause and resume duties from Slack.
var dutyAdmins = append([]faultline.Role{faultline.RoleDeptHead}, faultline.Technicians...)

// dutySourceKeys say where a duty comes from.
var dutySourceKeys = map[string]string{
	faultline.SourceConfig: "dutycmd.source.config", faultline.SourceSlack: "dutycmd.source.slack",
	faultline.SourceRetired: "dutycmd.source.retired",
}

// command handles /duty: list, show, add (a form), pause, resume, help.
func (f *dutyFlow) command(ctx context.Context, req Request) Response {
	usage := func(context.Context, Request, string) Response { return f.say(f.cat.T("dutycmd.usage")) }
	word, _ := cut(req.Text)
	if w := strings.ToLower(word); w == "" || w == "help" {
		return usage(ctx, req, "")
	}
	if !f.hasRole(req.User, dutyAdmins) {
		return f.say(f.cat.T("refuse.role", f.cat.T("dutycmd.manage"), f.roleNames(dutyAdmins)))
	}
	return subcommands{
		"list":   func(ctx context.Context, _ Request, _ string) Response { return f.list(ctx) },
		"show":   func(ctx context.Context, _ Request, rest string) Response { return f.show(ctx, rest) },
		"add":    func(context.Context, Request, string) Response { return Response{Modal: f.addModal()} },
		"pause":  func(ctx context.Context, _ Request, rest string) Response { return f.pause(ctx, rest, true) },
		"resume": func(ctx context.Context, _ Request, rest string) Response { return f.pause(ctx, rest, false) },
	}.run(ctx, req, func(ctx context.Context, req Request) Response { return usage(ctx, req, "") })
}

func (f *dutyFlow) list(ctx context.Context) Response {
	duties, err := f.store.Duties(ctx)
	if err != nil {
		return f.internal(ctx, "list duties", err)
	}
	if len(duties) == 0 {
		return f.say(f.cat.T("dutycmd.none"))
	}
	lines := []string{f.cat.T("dutycmd.title", len(duties))}
	for _, d := range duties {
		next := f.fmtTime(d.NextDue)
		if d.Paused {
			next = f.cat.T("dutycmd.paused")
		}
		lines = append(lines, f.cat.T("dutycmd.item", markup.Escape(d.Name), mentions(d.Owners), markup.Escape(d.Schedule),
			next, f.roleName(d.EscalateTo), f.cat.T(dutySourceKeys[d.Source])))
	}
	return f.say(strings.Join(lines, "\n"))
}

// show lists a duty's recent occurrences: the proof of who backed up when.
func (f *dutyFlow) show(ctx context.Context, rest string) Response {
	name, _ := cut(rest)
	d, err := f.store.Duty(ctx, name)
	if errors.Is(err, faultline.ErrNotFound) {
		return f.say(f.cat.T("dutycmd.not_found", markup.Escape(name)))
	}
	if err != nil {
		return f.internal(ctx, "show duty", err)
	}
	list, err := f.store.DutyOccurrences(ctx, d.ID, 20)
	if err != nil {
		return f.internal(ctx, "duty occurrences", err)
	}
	lines := []string{f.cat.T("dutycmd.show", markup.Escape(d.Name), mentions(d.Owners), markup.Escape(d.Schedule), f.minutes(d.Grace))}
	if d.Paused {
		lines = append(lines, f.cat.T("dutycmd.show_paused", markup.Escape(d.Name)))
	}
	for _, o := range list {
		text := f.occurrenceText(o)
		if d.Paused && o.State == faultline.OccPending && o.EscalatedAt.IsZero() {
			text = f.cat.T("occ.held")
		}
		lines = append(lines, f.cat.T("dutycmd.occ", f.fmtTime(o.DueAt), markup.Mention(o.Owner), text))
	}
	return f.say(strings.Join(lines, "\n"))
}

func (f *dutyFlow) occurrenceText(o faultline.Occurrence) string {
	switch {
	case o.State == faultline.OccDone:
		return f.cat.T("occ.done", f.fmtTime(o.DoneAt), markup.Escape(orDash(o.Note)))
	case o.State == faultline.OccCant:
		return f.cat.T("occ.cant", markup.Escape(o.Reason))
	case o.OwnerGone:
		return f.cat.T("occ.gone")
	case o.Missed():
		return f.cat.T("occ.missed")
	}
	return f.cat.T("occ.pending")
}

func (f *dutyFlow) pause(ctx context.Context, rest string, pause bool) Response {
	name, _ := cut(rest)
	d, err := f.store.Duty(ctx, name)
	if errors.Is(err, faultline.ErrNotFound) {
		return f.say(f.cat.T("dutycmd.not_found", markup.Escape(name)))
	}
	if err != nil {
		return f.internal(ctx, "pause duty", err)
	}
	next := time.Time{}
	if !pause {
		if next, err = f.sched.Next(d.Schedule, f.now()); err != nil {
			return f.internal(ctx, "resume duty", err)
		}
	}
	if err := f.store.SetDutyPaused(ctx, name, pause, next, f.now()); err != nil {
		return f.internal(ctx, "pause duty", err)
	}
	if pause {
		return f.say(f.cat.T("dutycmd.paused_done", markup.Escape(name)))
	}
	return f.say(f.cat.T("dutycmd.resumed", markup.Escape(name), f.fmtTime(next)))
}
