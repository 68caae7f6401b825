package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/markup"
)

// One outage, one ticket: a report of a site whose open ticket covers it
// joins that ticket at once (the answer names it, its owner and its age),
// and the report's own path check, shared with every other report of the
// site, then confirms it or moves it to a ticket of its own.

// checks shares a site's path check between the reports that want it: one
// check runs at a time per site, and a result that found a break, younger
// than reuse, is handed out again instead of pinging anew.
type checks struct {
	reuse  time.Duration
	flight singleflight.Group
	mu     sync.Mutex
	recent map[string]faultline.PathCheck // by target name
}

// shared is t's path checked, or a check of it younger than the reuse
// window, or the one running now.
func (f *faultFlow) shared(ctx context.Context, t target) faultline.PathCheck {
	cs := f.checks
	if c, ok := cs.fresh(t.name, f.now()); ok {
		return c
	}
	v, _, _ := cs.flight.Do(t.name, func() (any, error) {
		if c, ok := cs.fresh(t.name, f.now()); ok {
			return c, nil
		}
		// The check is everyone's, not the first asker's: it runs to its
		// end even if that one's request is gone.
		c := f.check(context.WithoutCancel(ctx), t)
		cs.remember(t.name, c)
		return c, nil
	})
	return v.(faultline.PathCheck)
}

func (cs *checks) fresh(name string, now time.Time) (faultline.PathCheck, bool) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c, ok := cs.recent[name]
	// Only a break is handed on: a burst of reports comes with an outage,
	// and a path that answered a moment ago may be what just broke.
	if !ok || c.Verdict.Failing < 0 || cs.reuse <= 0 || now.Sub(c.At) >= cs.reuse || now.Before(c.At) {
		return faultline.PathCheck{}, false
	}
	return c, true
}

// remember keeps a check for reuse (a monitor's too); checks that could
// not run are not worth reusing.
func (cs *checks) remember(name string, c faultline.PathCheck) {
	if c.Verdict.Kind == faultline.VerdictUnknown {
		return
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.recent == nil {
		cs.recent = map[string]faultline.PathCheck{}
	}
	cs.recent[name] = c
}

// reportDetail is what a joined report's timeline entry keeps besides its
// text: where it was sent from and for which site.
type reportDetail struct {
	Channel string `json:"channel,omitempty"`
	Site    string `json:"site"`
}

// outageFor is the open ticket a report of site joins, or false: the
// newest that covers the site, one with a failing hop before one that is
// still being checked. A database that does not answer is retried within
// the write budget and then an error: a report must not open a ticket of
// its own only because its outage could not be looked up.
func (f *faultFlow) outageFor(ctx context.Context, site faultline.Site) (faultline.Fault, bool, error) {
	keys := make([]string, len(site.Path))
	for i, h := range site.Path {
		keys[i] = faultline.HopKey(h)
	}
	var open []faultline.Fault
	err := f.persist(ctx, func(ctx context.Context) (err error) {
		open, err = f.store.OpenFaultsAt(ctx, site.Name, keys)
		return err
	})
	if err != nil {
		return faultline.Fault{}, false, fmt.Errorf("open tickets of %s: %w", site.Name, err)
	}
	var pending *faultline.Fault
	for i := range open {
		t := open[i]
		switch {
		case !t.Covers(site):
		case t.HopKey != "" || t.Reporter == faultline.ActorBot:
			return t, true, nil
		case pending == nil:
			pending = &open[i]
		}
	}
	if pending != nil {
		return *pending, true, nil
	}
	return faultline.Fault{}, false, nil
}

// outageToJoin is the open outage a report of site joins. When there is
// none (this may be the outage's first report) it looks again under the
// site's intake lock, which the caller holds until its ticket is opened
// and then releases with unlock.
func (f *faultFlow) outageToJoin(ctx context.Context, site faultline.Site) (outage faultline.Fault, ok bool, unlock func(), err error) {
	if outage, ok, err = f.outageFor(ctx, site); ok || err != nil {
		return outage, ok, func() {}, err
	}
	unlock = f.intake.lock(ctx, f.set.Sites, site)
	outage, ok, err = f.outageFor(ctx, site)
	return outage, ok, unlock, err
}

// join adds a report to outage t with extra messages. A closed outage is
// faultline.ErrConflict (the report then opens its own ticket); a repeated
// key faultline.ErrReplay.
func (f *faultFlow) join(ctx context.Context, t faultline.Fault, user string, site faultline.Site, description, key, channel string, extra []faultline.Outgoing) (faultline.Fault, bool, error) {
	if key != "" && t.RequestKey == key {
		return t, false, faultline.ErrReplay
	}
	now := f.now()
	data, _ := json.Marshal(reportDetail{Channel: channel, Site: site.Name})
	c := faultline.Change{At: now, Request: key,
		Events: []faultline.Event{{At: now, Actor: user, Kind: faultline.EventReport, Text: description, Data: string(data)}},
		Out:    append([]faultline.Outgoing{headUpdate()}, extra...),
		Tasks:  []faultline.Task{{Kind: faultline.TaskConfirmReport, Actor: user}},
	}
	var (
		joined faultline.Fault
		added  bool
	)
	err := f.persist(ctx, func(ctx context.Context) (err error) {
		joined, added, err = f.store.JoinFault(ctx, t.ID, user, c)
		return err
	})
	if err != nil {
		return t, false, err
	}
	f.nudge()
	if added {
		f.climbOnCount(ctx, joined)
	}
	return joined, added, nil
}

// joinCommand is a typed report joining outage t; ok is false when the
// outage closed meanwhile.
func (f *faultFlow) joinCommand(ctx context.Context, t faultline.Fault, req Request, site faultline.Site, description, key string) (Response, bool) {
	joined, added, err := f.join(ctx, t, req.User, site, description, key, req.Channel, nil)
	switch {
	case errors.Is(err, faultline.ErrConflict):
		return Response{}, false
	case errors.Is(err, faultline.ErrReplay):
		return f.say(f.cat.T("fault.already", t.Ref(), markup.Escape(t.Target), markup.ChannelLink(f.set.FaultsChannel))), true
	case errors.Is(err, faultline.ErrUnavailable):
		f.log.ErrorContext(ctx, "join outage: database unavailable", "user", req.User, "fault", t.Ref(), "err", err)
		return Response{Reply: f.notSaved(err, faultUnsaved, key, req.Text)}, true
	case err != nil:
		return f.internal(ctx, "join outage", err), true
	}
	return f.say(f.knownOutage(joined, site.Name, req.User, added)), true
}

// knownOutage is a joined reporter's answer: which ticket, since when, who
// is on it, which reporter they are, and that they will be asked.
func (f *faultFlow) knownOutage(t faultline.Fault, site, user string, added bool) string {
	who := f.cat.T("known.nobody", f.members(f.set.Escalation.OnDuty(t.EscLevel, faultline.RoleMaintainer)))
	if t.Owner != "" {
		who = f.cat.T("known.owner", markup.Mention(t.Owner))
	}
	n := slices.Index(t.People(), user) + 1
	if !added || n == 0 {
		return f.cat.T("known.again", t.Ref(), markup.Escape(t.Target), markup.ChannelLink(f.set.FaultsChannel))
	}
	return f.cat.T("known.joined", t.Ref(), markup.Escape(site), f.fmtTime(t.CreatedAt), f.stateName(string(t.State)),
		who, n, markup.ChannelLink(f.set.FaultsChannel))
}

// climbOnCount moves the chain one level up at once when the reports pass
// the configured count, recorded on the timeline; the clock that does it
// is the ticket's own resolve clock, so the climb happens once, as every
// clock's does.
func (f *faultFlow) climbOnCount(ctx context.Context, t faultline.Fault) {
	above := f.set.Outage.EscalateAbove
	if above <= 0 || len(t.People()) != above+1 || len(f.set.Escalation) < 2 {
		return
	}
	now := f.now()
	err := f.commit(ctx, faultline.Change{FaultID: t.ID, At: now,
		Events:    []faultline.Event{{At: now, Actor: faultline.ActorBot, Kind: faultline.EventEscalation, Text: "reports", Data: fmt.Sprint(above + 1)}},
		SetTimers: []faultline.Timer{{Kind: faultline.TimerResolve, DueAt: now}}})
	if err != nil {
		f.log.WarnContext(ctx, "escalate on report count", "fault", t.Ref(), "err", err)
	}
}

// confirmReport runs a joined report's path check (shared with the
// site's other reports) and keeps the report in the outage when the check
// agrees; otherwise it becomes a ticket of its own, linked to nothing, and
// its reporter is told why. The new ticket's key is the task's, so a
// retried task does not open a second one.
func (f *faultFlow) confirmReport(ctx context.Context, task faultline.Task) error {
	ticket, err := f.store.FaultByID(ctx, task.FaultID)
	if err != nil {
		return err
	}
	done := faultline.Change{FaultID: ticket.ID, Completes: task.ID}
	report, detail, ok, err := f.lastReport(ctx, ticket, task.Actor)
	if err != nil {
		return err
	}
	site, known := faultline.FindSite(f.set.Sites, detail.Site)
	// A check long after the report (the task waited, the process was
	// down) says how the path is now, not how it was when it was
	// reported; nor is a ticket already fixed the place to decide.
	late := f.now().Sub(report.At) > confirmWithin
	fixed := ticket.State == faultline.FaultVerifying || ticket.State == faultline.FaultConfirmed
	if ticket.State == faultline.FaultClosed || !ok || !known || late || fixed {
		return f.commit(ctx, done)
	}
	t := target{name: site.Name, site: site.Name, path: site.Path}
	c := f.shared(ctx, t)
	if c.Verdict.Kind == faultline.VerdictUnknown || ticket.Joins(site, c.Hops, c.Verdict) {
		return f.commit(ctx, done) // nothing proves it is another fault
	}
	own, err := f.open(ctx, task.Actor, t, report.Text, fmt.Sprintf("moved:%d", task.ID), nil, true)
	if err != nil && !errors.Is(err, faultline.ErrReplay) {
		return err
	}
	why := f.verdictWords(c)
	now := f.now()
	moved := done
	moved.Leaves = task.Actor
	moved.Events = []faultline.Event{{At: now, Actor: faultline.ActorBot, Kind: faultline.EventMoved, Text: task.Actor, Data: own.Ref()}}
	moved.Out = []faultline.Outgoing{headUpdate(),
		f.threadNote(f.cat.T("moved.note", markup.Mention(task.Actor), why, own.Ref())),
		f.toReporter(task.Actor, detail.Channel, f.cat.T("moved.told", ticket.Ref(), markup.Escape(site.Name), why, own.Ref()))}
	return f.commit(ctx, moved)
}

// confirmWithin is how soon after a report its check must run to move it
// off the outage it joined.
const confirmWithin = 2 * time.Minute

// toReporter is a note to a reporter alone where they reported, or by DM.
func (f *flow) toReporter(user, channel, text string) faultline.Outgoing {
	if channelID.MatchString(channel) {
		return ephemeralTo(user, channel, text)
	}
	return directMessage(user, faultline.Message{Text: text})
}

// verdictWords says in a few words what a check found, for a moved report.
func (f *faultFlow) verdictWords(c faultline.PathCheck) string {
	if c.Verdict.Failing < 0 {
		return f.cat.T("moved.healthy")
	}
	return f.cat.T("moved.other_hop", markup.Escape(c.Hops[c.Verdict.Failing].Name))
}

// lastReport is user's latest report on t's timeline.
func (f *faultFlow) lastReport(ctx context.Context, t faultline.Fault, user string) (faultline.Event, reportDetail, bool, error) {
	events, err := f.store.Events(ctx, t.ID)
	if err != nil {
		return faultline.Event{}, reportDetail{}, false, err
	}
	for i := len(events) - 1; i >= 0; i-- {
		ev := events[i]
		if ev.Kind == faultline.EventReport && ev.Actor == user {
			var d reportDetail
			if err := json.Unmarshal([]byte(ev.Data), &d); err != nil {
				return ev, d, false, nil
			}
			return ev, d, true, nil
		}
	}
	return faultline.Event{}, reportDetail{}, false, nil
}

// affected lists the sites an outage cuts off: every site behind its
// failing hop, or its own site.
func (f *flow) affected(t faultline.Fault) []string {
	if sites := faultline.SitesBehind(f.set.Sites, t.HopKey); len(sites) > 0 {
		return sites
	}
	if t.Site != "" {
		return []string{t.Site}
	}
	return nil
}

// reporterOnConfirmed answers a reporter's Works / Still broken on a
// ticket someone confirmed: a further "works" is thanked and recorded;
// "still broken" splits the reporter off when someone else confirmed. It
// is not answered (false) when the presser is the only one who confirmed:
// their "still broken" takes it back, and the ticket reopens as a step.
func (f *faultFlow) reporterOnConfirmed(ctx context.Context, t faultline.Fault, user string, action faultline.FaultAction) (Response, bool) {
	if t.State != faultline.FaultConfirmed || !t.IsReporter(user) {
		return Response{}, false
	}
	switch action {
	case faultline.ActWorks:
		return f.alsoWorks(ctx, t, user), true
	case faultline.ActStillBroken:
		others, err := f.confirmedByOthers(ctx, t, user)
		if err != nil {
			return f.internal(ctx, "who confirmed", err), true
		}
		if others {
			return f.splitOff(ctx, t, user), true
		}
	}
	return Response{}, false
}

// confirmedByOthers reports whether someone other than user confirmed t
// since it was marked fixed (a reporter's "works", a technician's
// confirmation for them).
func (f *faultFlow) confirmedByOthers(ctx context.Context, t faultline.Fault, user string) (bool, error) {
	events, err := f.store.Events(ctx, t.ID)
	if err != nil {
		return false, err
	}
	for _, ev := range events {
		confirm := ev.Text == string(faultline.ActWorks) || ev.Text == string(faultline.ActOverride)
		if ev.Kind == faultline.EventState && confirm && ev.Actor != user && !ev.At.Before(t.FixedAt) {
			return true, nil
		}
	}
	return false, nil
}

// splitOff answers a reporter for whom it still does not work after
// another reporter said it does: they get a ticket of their own, linked
// to the outage's, and leave the outage's reporters. Pressing again finds
// the same new ticket (its key is the reporter's and the outage's).
func (f *faultFlow) splitOff(ctx context.Context, t faultline.Fault, user string) Response {
	target, ok := f.targetOf(t)
	if !ok {
		return f.say(f.cat.T("fault.site_gone", markup.Escape(t.Site)))
	}
	text := f.cat.T("split.description", t.Ref())
	if ev, _, found, err := f.lastReport(ctx, t, user); err == nil && found {
		text += "\n" + ev.Text
	} else if user == t.Reporter {
		text += "\n" + t.Description
	}
	own, err := f.open(context.WithValue(ctx, linkedKey{}, t.Number), user, target, text, "split:"+t.Ref()+":"+user, nil, true)
	if err != nil && !errors.Is(err, faultline.ErrReplay) {
		return f.internal(ctx, "split off a reporter", err)
	}
	now := f.now()
	err = f.commit(ctx, faultline.Change{FaultID: t.ID, Leaves: user,
		Events: []faultline.Event{{At: now, Actor: user, Kind: faultline.EventMoved, Text: user, Data: own.Ref()}},
		Out:    []faultline.Outgoing{headUpdate(), f.threadNote(f.cat.T("split.note", markup.Mention(user), own.Ref(), t.Ref()))}})
	if errors.Is(err, faultline.ErrConflict) { // a second press: split off already
		return f.say(f.cat.T("split.told", own.Ref(), t.Ref()))
	}
	if err != nil {
		return f.internal(ctx, "split off a reporter", err)
	}
	return f.say(f.cat.T("split.told", own.Ref(), t.Ref()))
}

// alsoWorks records a further reporter's "works" on a confirmed ticket.
func (f *faultFlow) alsoWorks(ctx context.Context, t faultline.Fault, user string) Response {
	now := f.now()
	err := f.commit(ctx, faultline.Change{FaultID: t.ID,
		Events: []faultline.Event{{At: now, Actor: user, Kind: faultline.EventState, Text: string(faultline.ActWorks)}}})
	if err != nil {
		return f.internal(ctx, "record works", err)
	}
	return f.say(f.cat.T("works.also", t.Ref()))
}

// intakeLocks are one lock per group of sites whose paths share a hop
// (every site alone when none do), made on first use.
type intakeLocks struct {
	once  sync.Once
	group map[string]chan struct{} // by site name; a full channel is held
}

// lock takes site's group's lock and returns its release. A report that
// waits longer than lockWait goes on without it (the holder is slow: the
// database is not answering): one more ticket is better than no answer
// within Slack's three seconds.
func (l *intakeLocks) lock(ctx context.Context, sites []faultline.Site, site faultline.Site) func() {
	l.once.Do(func() { l.group = groups(sites) })
	ch, ok := l.group[site.Name]
	if !ok {
		return func() {}
	}
	wait := time.NewTimer(lockWait)
	defer wait.Stop()
	select {
	case ch <- struct{}{}:
		return func() { <-ch }
	case <-wait.C:
	case <-ctx.Done():
	}
	return func() {}
}

// lockWait bounds the wait for a site's intake lock.
const lockWait = 300 * time.Millisecond

// groups gives sites that share a hop key one lock (a union of their
// sets).
func groups(sites []faultline.Site) map[string]chan struct{} {
	parent := make([]int, len(sites))
	for i := range parent {
		parent[i] = i
	}
	find := func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	owner := map[string]int{}
	for i, s := range sites {
		for _, h := range s.Path {
			k := faultline.HopKey(h)
			if j, ok := owner[k]; ok {
				a, b := find(i), find(j)
				parent[max(a, b)] = min(a, b)
			} else {
				owner[k] = i
			}
		}
	}
	locks := map[int]chan struct{}{}
	out := make(map[string]chan struct{}, len(sites))
	for i, s := range sites {
		root := find(i)
		if locks[root] == nil {
			locks[root] = make(chan struct{}, 1)
		}
		out[s.Name] = locks[root]
	}
	return out
}
