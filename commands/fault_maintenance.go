package commands

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/markup"
)

// Maintenance windows: planned work on a site or a hop. While one is on,
// monitors open no ticket there, a person's report is stored and answered
// with the window, and the escalation clocks of tickets there wait until
// it ends.

// maintainers may open and end windows from Slack.
var maintainers = []faultline.Role{faultline.RoleSysadmin, faultline.RoleITSupervisor, faultline.RoleDeptHead}

// windows are the windows not over at now: those opened from chat, and
// the config's planned ones, on now or next to come.
func (f *faultFlow) windows(ctx context.Context, now time.Time) []faultline.Window {
	var out []faultline.Window
	if f.store != nil {
		stored, err := f.store.Windows(ctx, now)
		if err != nil {
			f.log.WarnContext(ctx, "maintenance windows", "err", err)
		}
		out = stored
	}
	for _, p := range f.set.Maintenance {
		w := faultline.Window{Site: p.Site, HopKey: p.HopKey, Name: cmp.Or(p.Site, p.Hop), Reason: p.Reason, By: faultline.WindowByConfig}
		switch {
		case !p.At.IsZero():
			w.Start = p.At
		case f.sched != nil:
			// The latest start that could still be on, else the next.
			next, err := f.sched.Next(p.Schedule, now.Add(-p.Duration))
			if err != nil {
				continue
			}
			w.Start = next
		default:
			continue
		}
		w.End = w.Start.Add(p.Duration)
		if w.End.After(now) {
			out = append(out, w)
		}
	}
	return out
}

// windowOn is the window on site now, if one is.
func (f *faultFlow) windowOn(ctx context.Context, site faultline.Site) (faultline.Window, bool) {
	now := f.now()
	var on faultline.Window
	for _, w := range f.windows(ctx, now) {
		if w.Active(now) && w.Covers(site) && w.Until().After(on.Until()) {
			on = w // of overlapping windows, the one that ends last
		}
	}
	return on, !on.Until().IsZero()
}

// windowOver is the window on ticket t's site or hop now, if one is.
func (f *faultFlow) windowOver(ctx context.Context, t faultline.Fault) (faultline.Window, bool) {
	now := f.now()
	for _, w := range f.windows(ctx, now) {
		if w.Active(now) && w.CoversFault(t, f.set.Sites) {
			return w, true
		}
	}
	return faultline.Window{}, false
}

// maintenanceNotice is the line a report during a window is answered with.
func (f *faultFlow) maintenanceNotice(ctx context.Context, site faultline.Site) string {
	w, ok := f.windowOn(ctx, site)
	if !ok {
		return ""
	}
	return f.cat.T("maint.notice", markup.Escape(w.Name), f.fmtTime(w.Until()), markup.Escape(orDash(w.Reason)))
}

// withNotice puts a maintenance notice above a reply.
func withNotice(r Response, notice string) Response {
	if notice != "" && r.Reply != nil {
		m := *r.Reply
		m.Text = notice + "\n" + m.Text
		r.Reply = &m
	}
	return r
}

// maintenance handles /fault maintenance: list, end <id>, or
// <site|hop> <duration> [reason].
func (f *faultFlow) maintenance(ctx context.Context, req Request, rest string) Response {
	words := strings.Fields(rest)
	word, more := "", ""
	if len(words) > 0 {
		word, more = words[0], strings.Join(words[1:], " ")
	}
	switch strings.ToLower(word) {
	case "", "help":
		return f.say(f.cat.T("maint.usage"))
	case "list":
		return f.listWindows(ctx)
	}
	if !f.hasRole(req.User, maintainers) {
		return f.say(f.cat.T("refuse.role", f.cat.T("maint.manage"), f.roleNames(maintainers)))
	}
	if strings.EqualFold(word, "end") {
		return f.endWindow(ctx, req.User, more)
	}
	// The longest run of first words that names a site or a hop: hop
	// names have spaces ("WAN router").
	w := faultline.Window{By: req.User}
	named := 0
	for k := len(words); k >= 1 && named == 0; k-- {
		name := strings.Join(words[:k], " ")
		if site, ok := faultline.FindSite(f.set.Sites, name); ok {
			w.Site, w.Name, named = site.Name, site.Name, k
		} else if hop, ok := faultline.FindHop(f.set.Sites, name); ok {
			w.HopKey, w.Name, named = faultline.HopKey(hop), hop.Name, k
		}
	}
	if named == 0 {
		return f.say(f.cat.T("maint.unknown", markup.Escape(word)) + "\n" + f.cat.T("maint.usage"))
	}
	span, reason := "", ""
	if named < len(words) {
		span, reason = words[named], strings.Join(words[named+1:], " ")
	}
	d, err := time.ParseDuration(span)
	limit := cmp.Or(f.set.Outage.MaxWindow, 24*time.Hour)
	switch {
	case span == "":
		return f.say(f.cat.T("maint.need_duration") + "\n" + f.cat.T("maint.usage"))
	case err != nil:
		return f.say(f.cat.T("maint.bad_duration", markup.Escape(span)))
	case d < time.Minute:
		return f.say(f.cat.T("maint.too_short", markup.Escape(span)))
	case d > limit:
		return f.say(f.cat.T("maint.too_long", markup.Escape(span), f.plainDuration(limit)))
	}
	if n := len([]rune(reason)); n > 500 {
		return f.say(f.cat.T("form.too_long", n, 500))
	}
	now := f.now()
	w.Start, w.End, w.At, w.Reason = now, now.Add(d), now, strings.TrimSpace(reason)
	var opened faultline.Window
	err = f.persist(ctx, func(ctx context.Context) (err error) {
		opened, err = f.store.OpenWindow(ctx, w)
		return err
	})
	if err != nil {
		return f.internal(ctx, "open maintenance window", err)
	}
	f.announce(ctx, f.cat.T("maint.opened_note", markup.Mention(req.User), markup.Escape(opened.Name), f.fmtTime(opened.End),
		markup.Escape(orDash(opened.Reason)), opened.ID))
	return f.say(f.cat.T("maint.opened", opened.ID, markup.Escape(opened.Name), f.fmtTime(opened.End)))
}

// announce posts a line in the faults channel (best effort: the window is
// stored whether or not the post is).
func (f *faultFlow) announce(ctx context.Context, text string) {
	err := f.commit(ctx, faultline.Change{Out: []faultline.Outgoing{{Kind: faultline.OutPost,
		Message: faultline.Message{Channel: f.set.FaultsChannel, Text: text}}}})
	if err != nil {
		f.log.WarnContext(ctx, "announce maintenance", "err", err)
	}
}

func (f *faultFlow) endWindow(ctx context.Context, user, rest string) Response {
	word, _ := cut(rest)
	if word == "" {
		return f.say(f.cat.T("maint.usage"))
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimPrefix(word, "#"), "M-"), 10, 64)
	if err != nil || id <= 0 {
		return f.say(f.cat.T("maint.bad_id", markup.Escape(word)))
	}
	w, err := f.store.EndWindow(ctx, id, user, f.now())
	switch {
	case errors.Is(err, faultline.ErrNotFound):
		return f.say(f.cat.T("maint.no_window", id))
	case err != nil:
		return f.internal(ctx, "end maintenance window", err)
	}
	f.announce(ctx, f.cat.T("maint.ended_note", markup.Mention(user), markup.Escape(w.Name), w.ID))
	return f.say(f.cat.T("maint.ended", w.ID, markup.Escape(w.Name)))
}

func (f *faultFlow) listWindows(ctx context.Context) Response {
	now := f.now()
	ws := f.windows(ctx, now)
	if len(ws) == 0 {
		return f.say(f.cat.T("maint.none"))
	}
	lines := []string{f.cat.T("maint.title", len(ws))}
	for _, w := range ws {
		id := fmt.Sprintf("#%d", w.ID)
		who := markup.Mention(w.By)
		if w.By == faultline.WindowByConfig {
			id, who = "—", f.cat.T("maint.by_config")
		}
		state := f.cat.T("maint.planned", f.fmtTime(w.Start))
		if w.Active(now) {
			state = f.cat.T("maint.on")
		}
		lines = append(lines, f.cat.T("maint.item", id, markup.Escape(w.Name), state, f.fmtTime(w.Until()), who, markup.Escape(orDash(w.Reason))))
	}
	return f.say(strings.Join(lines, "\n"))
}
