package commands

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/catalog"
	"github.com/faultline/faultline/markup"
)

// The path monitors (对网络运行情况了解): a site's path checked on a
// schedule, one ticket per outage, the recovery posted in it.
type monitorFlow struct {
	*flow
	store  MonitorStore
	faults *faultFlow
}

// run checks a monitored site's path and folds the result into the
// monitor's memory: after the threshold of failures of the same hop it
// opens one ticket for the outage, reporter the bot, with the check
// history; it posts the recovery in that ticket; a flapping hop is said to
// flap, once, instead of opening ticket after ticket.
func (f *monitorFlow) run(ctx context.Context, name string, now time.Time) error {
	spec, ok := f.spec(name)
	t, known := f.faults.resolve(name)
	if !ok || !known {
		return nil
	}
	c := lossy(f.faults.check(ctx, t), spec.LossAbove)
	f.faults.checks.remember(t.name, c)
	if c.Verdict.Kind == faultline.VerdictUnknown {
		f.log.WarnContext(ctx, "monitor could not check", "site", name, "err", firstError(c.Results))
		return nil
	}
	failing := ""
	if c.Verdict.Failing >= 0 {
		failing = c.Hops[c.Verdict.Failing].Name
	}
	read, err := f.store.MonitorState(ctx, t.name)
	if err != nil {
		return err
	}
	site, _ := faultline.FindSite(f.set.Sites, t.name)
	_, maintained := f.faults.windowOn(ctx, site)
	next, action := read.Observe(failing, spec.Failures, cmp.Or(spec.RecoverAfter, 2), spec.quiet(now, f.set.Location) || maintained, now)
	change := faultline.Change{}
	switch action {
	case faultline.MonOpen:
		// An outage already open that this break is part of (a shared hop
		// failing for another site, or a person's ticket) is the one:
		// the monitor follows it and says so on its timeline.
		outage, ok, err := f.faults.outageFor(ctx, site)
		if err != nil {
			return err // the next check tries again
		}
		if ok && outage.Joins(site, c.Hops, c.Verdict) {
			next.FaultID = outage.ID
			change = faultline.Change{FaultID: outage.ID, Events: []faultline.Event{{At: now, Actor: faultline.ActorBot,
				Kind: faultline.EventMonitor, Text: site.Name, Data: failing}}, Out: []faultline.Outgoing{headUpdate()}}
			break
		}
		ticket, err := f.open(ctx, t, c, next)
		if err != nil {
			return err
		}
		next.FaultID = ticket.ID
	case faultline.MonRecovered:
		change = f.recovery(ctx, read.FaultID, t, c)
	case faultline.MonFlapping:
		change = faultline.Change{FaultID: read.FaultID, Out: []faultline.Outgoing{f.flapping(read, next, t, failing)}}
	}
	return f.store.SaveMonitorState(ctx, read, next, change)
}

func (f *monitorFlow) spec(site string) (MonitorSpec, bool) {
	for _, m := range f.set.Monitors {
		if m.Site == site {
			return m, true
		}
	}
	return MonitorSpec{}, false
}

// open opens the outage's ticket with the failing checks in its
// description and this check in its thread.
func (f *monitorFlow) open(ctx context.Context, t target, c faultline.PathCheck, st faultline.MonitorState) (faultline.Fault, error) {
	desc := f.cat.T("mon.description", st.Failing, st.Consecutive, history(st.History))
	ticket, err := f.faults.open(ctx, faultline.ActorBot, t, desc, "", nil, false)
	if err != nil {
		return ticket, err
	}
	change, err := f.faults.checkChange(ctx, ticket, c, faultline.ActorBot)
	if err != nil {
		return ticket, err
	}
	change.Out = append(change.Out, f.hooks(HookOutages, hookNote{textKey: "hook.outage_open", ref: ticket.Ref(),
		level: func(catalog.Catalog) string { return t.name }, at: ticket.CreatedAt, detail: markup.Escape(oneLine(desc, 300))})...)
	return ticket, f.commit(ctx, change)
}

func history(h string) string {
	return strings.NewReplacer("U", "✅", "D", "❌").Replace(h)
}

// recovery posts, in the outage's ticket, that the path answers again and
// asks its owner (or those on duty) to confirm and close.
func (f *monitorFlow) recovery(ctx context.Context, faultID int64, t target, c faultline.PathCheck) faultline.Change {
	ticket, err := f.faults.store.FaultByID(ctx, faultID)
	if err != nil {
		f.log.WarnContext(ctx, "monitor recovery", "fault_id", faultID, "err", err)
		return faultline.Change{}
	}
	who := f.members(f.set.Escalation.OnDuty(ticket.EscLevel, faultline.RoleMaintainer))
	if ticket.Owner != "" {
		who = markup.Mention(ticket.Owner)
	}
	m := f.checkMessage(c, ticket.Number)
	m.Channel = f.set.FaultsChannel
	out := []faultline.Outgoing{threadPost(m), f.faults.threadNote(f.cat.T("mon.recovered", markup.Escape(t.name), who, ticket.Ref()))}
	if len(ticket.People()) > 0 && ticket.State != faultline.FaultClosed && ticket.State != faultline.FaultConfirmed {
		out = append(out, f.faults.askReporters(ticket)...) // everyone who reported it is asked
	}
	out = append(out, f.hooks(HookOutages, hookNote{textKey: "hook.outage_recovered", ref: ticket.Ref(),
		level: func(catalog.Catalog) string { return t.name }, at: f.now()})...)
	return faultline.Change{FaultID: ticket.ID, Out: out}
}

// lossy counts a hop that loses more than above of its probes as failing,
// and judges the path again; above 0 leaves the check as it is.
func lossy(c faultline.PathCheck, above float64) faultline.PathCheck {
	if above <= 0 {
		return c
	}
	results := slices.Clone(c.Results)
	changed := false
	for i, r := range results {
		if r.Answered() && r.Loss() > above {
			results[i].Received, changed = 0, true
		}
	}
	if !changed {
		return c
	}
	c.Results, c.Verdict = results, faultline.Judge(c.Hops, results)
	return c
}

func (f *monitorFlow) flapping(read, next faultline.MonitorState, t target, hop string) faultline.Outgoing {
	text := f.cat.T("mon.flapping", markup.Escape(hop), markup.Escape(t.name), history(next.History))
	if read.FaultID != 0 {
		return f.faults.threadNote(text)
	}
	return faultline.Outgoing{Kind: faultline.OutPost, Message: faultline.Message{Channel: f.set.FaultsChannel, Text: text}}
}
