package commands

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/markup"
)

// runTask does a stored path check of a ticket: the result on the
// timeline and in the thread, the verdict on the ticket (and so on its head
// message), a past resolution of the same hop if there is one, the device
// or line clock when the fault turns out to be one, and, for a check after
// "mark fixed", the question to the reporter. The result commits with the
// task's removal, once; a failure leaves the task to be tried again. A
// ticket closed meanwhile, or whose site left the config, needs no check.
func (f *faultFlow) runTask(ctx context.Context, task faultline.Task) error {
	ticket, err := f.store.FaultByID(ctx, task.FaultID)
	if err != nil {
		return err
	}
	t, ok := f.targetOf(ticket)
	if ticket.State == faultline.FaultClosed || !ok {
		done := faultline.Change{FaultID: ticket.ID, Completes: task.ID}
		if ok || task.Kind != faultline.TaskCheckAndAsk {
			return f.commit(ctx, done)
		}
		done.Out = f.reporterQuestion(ticket) // nothing to check: ask at once
		return f.commit(ctx, done)
	}
	var c faultline.PathCheck
	if task.Kind == faultline.TaskCheck && task.Actor == faultline.ActorBot && t.site != "" {
		c = f.shared(ctx, t) // a report's first check: the site's, shared
	} else {
		c = f.check(ctx, t)
		if t.site != "" {
			f.checks.remember(t.name, c) // the newest word on the path, for the reports to come
		}
	}
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			if ticket, err = f.store.FaultByID(ctx, task.FaultID); err != nil {
				return err
			}
		}
		change, err := f.checkChange(ctx, ticket, c, task.Actor)
		if err != nil {
			return err
		}
		change.Completes = task.ID
		if task.Kind == faultline.TaskCheckAndAsk {
			change.Out = append(change.Out, f.reporterQuestion(*change.Fault)...)
		}
		if err = f.commit(ctx, change); !errors.Is(err, faultline.ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("record check of %s: %w", ticket.Ref(), faultline.ErrConflict)
}

// checkTask asks for a check of ticket t on behalf of actor.
func checkTask(kind faultline.TaskKind, actor string) []faultline.Task {
	return []faultline.Task{{Kind: kind, Actor: actor}}
}

func (f *faultFlow) checkChange(ctx context.Context, t faultline.Fault, c faultline.PathCheck, actor string) (faultline.Change, error) {
	data, err := json.Marshal(c)
	if err != nil {
		return faultline.Change{}, fmt.Errorf("encode check of %s: %w", t.Ref(), err)
	}
	now := f.now()
	after := withVerdict(t, c, now)
	m := f.checkMessage(c, t.Number)
	m.Channel = f.set.FaultsChannel
	change := faultline.Change{
		FaultID: t.ID, Fault: &after, Read: t,
		Events: []faultline.Event{{At: now, Actor: actor, Kind: faultline.EventCheck, Text: string(c.Verdict.Kind), Data: string(data)}},
		Out:    []faultline.Outgoing{threadPost(m), headUpdate()},
	}
	if after.Hop != "" && after.Hop != t.Hop {
		if note := f.pastResolutions(ctx, after); note != "" {
			change.Out = append(change.Out, f.threadNote(note))
		}
	}
	change.SetTimers = f.riskTimers(t, after)
	return change, nil
}

// withVerdict is t with the check's verdict. The failing hop is where the
// fault was found, and stays on the ticket when a later check finds the
// path healthy again: the resolution belongs to that hop.
func withVerdict(t faultline.Fault, c faultline.PathCheck, now time.Time) faultline.Fault {
	g := t
	g.Verdict, g.UpdatedAt = c.Verdict.Kind, now
	if c.Verdict.Failing >= 0 && c.Verdict.Kind != faultline.VerdictUnknown {
		h := c.Hops[c.Verdict.Failing]
		g.Hop, g.HopRef, g.HopKey = h.Name, h.Device+h.Line, faultline.HopKey(h)
	}
	return g
}

// riskTimers starts the clock of a device or line fault (硬件设施故障 /
// 专线电缆中断故障短时间无法恢复) when a check first finds one, counted from
// the report.
func (f *faultFlow) riskTimers(before, after faultline.Fault) []faultline.Timer {
	if after.State == faultline.FaultClosed || after.Verdict == before.Verdict || len(f.set.Escalation) < 2 {
		return nil
	}
	switch after.Verdict {
	case faultline.VerdictDevice:
		return []faultline.Timer{{Kind: faultline.TimerDevice, DueAt: after.CreatedAt.Add(f.set.Deadlines.Device)}}
	case faultline.VerdictLine:
		return []faultline.Timer{{Kind: faultline.TimerLine, DueAt: after.CreatedAt.Add(f.lineLimit(after))}}
	}
	return nil
}

// pastResolutions tells how the same hop was fixed before, newest first.
func (f *faultFlow) pastResolutions(ctx context.Context, t faultline.Fault) string {
	past, err := f.store.PastResolutions(ctx, t.Site, t.Hop, t.ID, 3)
	if err != nil {
		f.log.WarnContext(ctx, "past resolutions", "fault", t.Ref(), "err", err)
		return ""
	}
	if len(past) == 0 {
		return ""
	}
	lines := []string{f.cat.T("past.title", markup.Escape(t.Hop))}
	for _, p := range past {
		lines = append(lines, f.cat.T("past.item", p.Ref(), f.fmtTime(p.ClosedAt), f.causeName(p.Resolution.Cause),
			markup.Escape(oneLine(p.Resolution.Done, 200)), markup.Escape(orDash(p.Resolution.FixedBy))))
	}
	return strings.Join(lines, "\n")
}

// recheck is the "check again" button of a ticket.
func (f *faultFlow) recheck(ctx context.Context, a Action) Response {
	ticket, refused := f.lookup(ctx, a.Value)
	if refused != nil {
		return *refused
	}
	if _, ok := f.targetOf(ticket); !ok {
		return f.say(f.cat.T("fault.site_gone", markup.Escape(ticket.Site)))
	}
	if ticket.State == faultline.FaultClosed {
		return f.say(f.cat.T("fault.closed_recheck", ticket.Ref()))
	}
	if err := f.commit(ctx, faultline.Change{FaultID: ticket.ID, Tasks: checkTask(faultline.TaskCheck, a.User)}); err != nil {
		return f.internal(ctx, "ask for a check", err)
	}
	return f.say(f.cat.T("fault.rechecking", ticket.Ref()))
}

// pingCommand: /fault ping <site-or-host>, a check whose result only the
// asker sees.
func (f *faultFlow) pingCommand(ctx context.Context, req Request, rest string) Response {
	word, _ := cut(rest)
	if word == "" {
		return f.say(f.cat.T("ping.usage") + "\n" + f.usage())
	}
	t, ok := f.resolve(word)
	if !ok {
		return f.unknownTarget(word)
	}
	return Response{
		Reply: f.ephemeral(f.cat.T("ping.checking", markup.Escape(t.name))),
		Work: func(ctx context.Context) error {
			if req.Respond == nil {
				return fmt.Errorf("ping %s: no way to answer the requester", t.name)
			}
			m := f.checkMessage(f.check(ctx, t), 0)
			m.Ephemeral = true
			return req.Respond.Respond(ctx, m)
		},
	}
}

// Check checks the path of a site (by name or alias) or a single host and
// returns the result as a message with its verdict; false when word names
// neither.
func (s *Service) Check(ctx context.Context, word string) (faultline.Message, faultline.VerdictKind, bool) {
	r := s.CheckAll(ctx, []string{word})[0]
	return r.Message, r.Verdict, r.Known
}

// Checked is one word's result of CheckAll.
type Checked struct {
	Word    string
	Known   bool // a configured site, an IP address or a host name
	Message faultline.Message
	Verdict faultline.VerdictKind
}

// CheckAll checks every word's path (a site or a host) at once: all their
// hops go to the prober in one batch, which probes them concurrently, and
// each path is judged on its own. The results are in the order of words.
func (s *Service) CheckAll(ctx context.Context, words []string) []Checked {
	f := s.faults
	out := make([]Checked, len(words))
	targets := make([]target, len(words))
	var hosts []string
	for i, w := range words {
		out[i].Word = w
		if targets[i], out[i].Known = f.resolve(w); !out[i].Known {
			continue
		}
		for _, h := range targets[i].path {
			hosts = append(hosts, h.Host)
		}
	}
	start := f.now()
	results := f.pinger.Ping(ctx, hosts)
	took := f.now().Sub(start)
	for i := range words {
		if !out[i].Known {
			continue
		}
		t := targets[i]
		mine := results[:len(t.path)]
		results = results[len(t.path):]
		c := faultline.PathCheck{Target: t.name, Hops: t.path, Results: mine, Verdict: faultline.Judge(t.path, mine), At: start, Took: took}
		out[i].Message, out[i].Verdict = f.checkMessage(c, 0), c.Verdict.Kind
	}
	return out
}
