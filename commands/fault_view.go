package commands

import (
	"context"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/markup"
)

// The catalog's names of a ticket's states, what each expects next, the
// causes a ticket closes with, and its clocks.
var (
	faultStateKeys = map[faultline.FaultState]string{
		faultline.FaultOpen: "state.open", faultline.FaultTaken: "state.taken",
		faultline.FaultRestartPending: "state.restart_pending", faultline.FaultWaitingVendor: "state.waiting_vendor",
		faultline.FaultEscalated: "state.escalated", faultline.FaultVerifying: "state.verifying",
		faultline.FaultConfirmed: "state.confirmed", faultline.FaultClosed: "state.closed",
	}
	faultNextKeys = map[faultline.FaultState]string{
		faultline.FaultOpen: "next.open", faultline.FaultTaken: "next.taken",
		faultline.FaultRestartPending: "next.restart_pending", faultline.FaultWaitingVendor: "next.waiting_vendor",
		faultline.FaultEscalated: "next.escalated", faultline.FaultVerifying: "next.verifying",
		faultline.FaultConfirmed: "next.confirmed", faultline.FaultClosed: "next.closed",
	}
	causeKeys = map[faultline.Cause]string{
		faultline.CauseDevice: "cause.device", faultline.CauseLine: "cause.line", faultline.CausePower: "cause.power",
		faultline.CauseConfig: "cause.configuration", faultline.CauseUser: "cause.user_side", faultline.CauseOther: "cause.other",
	}
	faultTimerKeys = map[faultline.TimerKind]string{
		faultline.TimerAck: "timer.ack", faultline.TimerResolve: "timer.resolve", faultline.TimerDevice: "timer.device",
		faultline.TimerLine: "timer.line", faultline.TimerRecheck: "timer.recheck",
	}
)

func (f *faultFlow) stateName(st string) string {
	return f.cat.T(faultStateKeys[faultline.FaultState(st)])
}

func (f *faultFlow) causeName(c faultline.Cause) string {
	if key, ok := causeKeys[c]; ok {
		return f.cat.T(key)
	}
	return markup.Escape(string(c))
}

// head is the ticket's message in the faults channel, rendered from the
// ticket as it is now: state, owner, time open, where the path breaks,
// what is expected next, and the buttons for the steps its state allows.
func (f *faultFlow) head(t faultline.Fault) faultline.Message {
	fields := []faultline.Field{
		{Label: f.cat.T("field.reporter"), Value: f.who(t.Reporter)},
		{Label: f.cat.T("field.state"), Value: f.stateName(string(t.State))},
		{Label: f.cat.T("field.owner"), Value: f.owner(t.Owner)},
		{Label: f.cat.T("field.reported"), Value: f.fmtTime(t.CreatedAt) + " · " + f.elapsed(t)},
		{Label: f.cat.T("field.site"), Value: f.siteLabel(t)},
		{Label: f.cat.T("field.path"), Value: f.verdictSummary(t)},
	}
	if n := len(t.People()); n > 1 {
		fields = append(fields, faultline.Field{Label: f.cat.T("field.reports"), Value: f.cat.T("field.reports_n", n)})
	}
	if t.LinkedTo != 0 {
		fields = append(fields, faultline.Field{Label: f.cat.T("field.linked"), Value: faultline.FaultRef(t.LinkedTo)})
	}
	if t.VendorTicket != "" {
		fields = append(fields, faultline.Field{Label: f.cat.T("field.vendor"), Value: markup.Escape(t.VendorTicket + " · " + orDash(t.VendorDue))})
	}
	if t.State == faultline.FaultClosed {
		fields = append(fields, faultline.Field{Label: f.cat.T("field.resolution"), Value: f.cat.T("pair", f.causeName(t.Resolution.Cause), markup.Escape(oneLine(t.Resolution.Done, 300)))})
	}
	title := f.cat.T("head.title", t.Ref(), markup.Escape(t.Target))
	if sites := f.affected(t); len(sites) > 1 && t.State != faultline.FaultClosed {
		title = f.cat.T("head.outage_title", t.Ref(), f.hopLabel(t), markup.Escape(strings.Join(sites, ", ")))
	}
	return faultline.Message{
		Channel: f.set.FaultsChannel,
		Text:    title + "\n" + markup.Quote(markup.Escape(t.Description)),
		Fields:  fields,
		Context: f.nextStep(t),
		Buttons: f.headButtons(t),
	}
}

// elapsed is how long the ticket has been (or was) open.
func (f *faultFlow) elapsed(t faultline.Fault) string {
	end := f.now()
	if t.State == faultline.FaultClosed {
		end = t.ClosedAt
	}
	return f.cat.T("field.open_for", f.durationText(end.Sub(t.CreatedAt)))
}

func (f *faultFlow) verdictSummary(t faultline.Fault) string {
	switch t.Verdict {
	case "":
		return f.cat.T("head.checking")
	case faultline.VerdictHealthy:
		return f.cat.T("head.healthy")
	case faultline.VerdictUnknown:
		return f.cat.T("head.unknown")
	}
	return f.cat.T("head.failing", f.hopLabel(t), f.cat.T(verdictKindKeys[t.Verdict]))
}

// nextStep says what the procedure expects now, and from whom.
func (f *faultFlow) nextStep(t faultline.Fault) string {
	switch t.State {
	case faultline.FaultOpen:
		return f.cat.T("next.open", f.members(f.set.Escalation.OnDuty(t.EscLevel, faultline.RoleMaintainer)))
	case faultline.FaultRestartPending:
		return f.cat.T("next.restart_pending", f.members(faultline.RoleSysadmin))
	case faultline.FaultVerifying:
		if people := t.People(); len(people) > 0 {
			return f.cat.T("next.verifying", mentions(people))
		}
		return f.cat.T("next.verifying", f.who(t.Reporter))
	}
	return f.cat.T(faultNextKeys[t.State])
}

// headButtons are the steps the state allows, except the reporter's two,
// which are asked in the thread; and a fresh check while it is open.
func (f *faultFlow) headButtons(t faultline.Fault) []faultline.Button {
	var out []faultline.Button
	for _, a := range faultline.FaultProcedure.Allowed(t.State) {
		if a == faultline.ActWorks || a == faultline.ActStillBroken {
			continue
		}
		style := ""
		if a == faultline.ActTake || a == faultline.ActConfirmRestart || a == faultline.ActClose {
			style = "primary"
		}
		out = append(out, faultline.Button{ID: faultButton(a), Label: f.cat.T(faultButtonKeys[a]), Value: t.Ref(), Style: style})
	}
	if t.State != faultline.FaultClosed {
		out = append(out, faultline.Button{ID: ActionRecheck, Label: f.cat.T("button.recheck"), Value: t.Ref()})
	}
	return out
}

func (f *faultFlow) siteLabel(t faultline.Fault) string {
	if t.Site == "" {
		return f.cat.T("field.host_only", markup.Escape(t.Target))
	}
	return markup.Escape(t.Site)
}

// list: /fault list, the open tickets, newest first.
func (f *faultFlow) list(ctx context.Context) Response {
	faults, err := f.store.Faults(ctx, faultline.OpenFaultStates, maxListed)
	if err != nil {
		return f.internal(ctx, "list faults", err)
	}
	if len(faults) == 0 {
		return f.say(f.cat.T("list.empty"))
	}
	lines := []string{f.cat.T("list.title", len(faults))}
	for _, t := range faults {
		lines = append(lines, f.cat.T("list.item", t.Ref(), markup.Escape(t.Target),
			markup.Escape(oneLine(t.Description, 80)), f.stateName(string(t.State)), f.owner(t.Owner), f.elapsed(t)))
	}
	return f.say(strings.Join(lines, "\n"))
}

// show: /fault show F-n, the ticket and its timeline. An open ticket comes
// with the buttons of its head message, so it can be continued from here.
func (f *faultFlow) show(ctx context.Context, rest string) Response {
	ref, _ := cut(rest)
	if ref == "" {
		return f.say(f.cat.T("show.usage"))
	}
	t, refused := f.lookup(ctx, ref)
	if refused != nil {
		return *refused
	}
	events, err := f.store.Events(ctx, t.ID)
	if err != nil {
		return f.internal(ctx, "timeline", err)
	}
	head := f.head(t)
	facts := make([]string, len(head.Fields))
	for i, field := range head.Fields {
		facts[i] = f.cat.T("pair", field.Label, field.Value)
	}
	lines := []string{head.Text, strings.Join(facts, " · "), f.cat.T("show.timeline")}
	for _, ev := range events {
		lines = append(lines, f.eventLine(ev))
	}
	m := f.ephemeral(strings.Join(lines, "\n"))
	m.Buttons = head.Buttons
	return Response{Reply: m}
}

func (f *faultFlow) eventLine(ev faultline.Event) string {
	who := f.cat.T("actor.bot")
	if ev.Actor != faultline.ActorBot {
		who = f.who(ev.Actor)
	}
	when := f.fmtTime(ev.At)
	switch ev.Kind {
	case faultline.EventCheck:
		var c faultline.PathCheck
		if err := json.Unmarshal([]byte(ev.Data), &c); err == nil && len(c.Hops) > 0 {
			return f.cat.T("event.check", when, who, f.verdictLine(c))
		}
	case faultline.EventCreated:
		return f.cat.T("event.created", when, who)
	case faultline.EventReply:
		return f.cat.T("event.reply", when, who, markup.Escape(oneLine(ev.Text, 200)))
	case faultline.EventState:
		line := f.cat.T("event.state", when, who, f.stepName(ev.Text))
		detail := markup.Escape(oneLine(ev.Data, 200))
		if cause, done, ok := strings.Cut(ev.Data, ": "); ok && faultline.FaultAction(ev.Text) == faultline.ActClose {
			detail = f.cat.T("pair", f.causeName(faultline.Cause(cause)), markup.Escape(oneLine(done, 200)))
		}
		if detail != "" {
			line += f.cat.T("event.detail", detail)
		}
		return line
	case faultline.EventEscalation:
		if ev.Text == "reports" {
			return f.cat.T("event.escalation_reports", when, ev.Data)
		}
		return f.cat.T("event.escalation", when, f.cat.T(faultTimerKeys[faultline.TimerKind(ev.Text)]), f.roleName(faultline.Role(ev.Data)))
	case faultline.EventReport:
		var d reportDetail
		_ = json.Unmarshal([]byte(ev.Data), &d)
		return f.cat.T("event.report", when, who, markup.Escape(d.Site), markup.Escape(oneLine(ev.Text, 200)))
	case faultline.EventMoved:
		return f.cat.T("event.moved", when, f.who(ev.Text), markup.Escape(ev.Data))
	case faultline.EventMonitor:
		return f.cat.T("event.monitor", when, markup.Escape(ev.Text), markup.Escape(ev.Data))
	case faultline.EventMaintained:
		return f.cat.T("event.maintained", when, f.cat.T(faultTimerKeys[faultline.TimerKind(ev.Text)]), markup.Escape(ev.Data))
	}
	return f.cat.T("event.other", when, who, string(ev.Kind), markup.Escape(oneLine(ev.Text, 200)))
}

// Limits of a search: each word is a condition on every closed ticket.
const (
	maxSearchWords  = 10
	maxSearchLength = 200
)

// searchWords are a search's words, or the answer to a search with none
// (usage) or too many.
func (f *flow) searchWords(rest, usage string) ([]string, *Response) {
	words := strings.Fields(rest)
	var refused Response
	switch {
	case len(words) == 0:
		refused = f.say(usage)
	case len(words) > maxSearchWords || utf8.RuneCountInString(rest) > maxSearchLength:
		refused = f.say(f.cat.T("search.too_long", maxSearchWords, maxSearchLength))
	default:
		return words, nil
	}
	return nil, &refused
}

// search: /fault search, closed tickets by words in their site, hop,
// description or resolution (处理后的解决办法收集总结).
func (f *faultFlow) search(ctx context.Context, rest string) Response {
	words, refused := f.searchWords(rest, f.cat.T("search.usage"))
	if refused != nil {
		return *refused
	}
	found, err := f.store.SearchFaults(ctx, words, maxListed)
	if err != nil {
		return f.internal(ctx, "search faults", err)
	}
	if len(found) == 0 {
		return f.say(f.cat.T("search.none", markup.Escape(rest)))
	}
	lines := []string{f.cat.T("search.title", len(found), markup.Escape(rest))}
	for _, t := range found {
		lines = append(lines, f.cat.T("search.item", t.Ref(), markup.Escape(t.Target), f.fmtTime(t.ClosedAt),
			markup.Escape(oneLine(t.Description, 80)), f.causeName(t.Resolution.Cause),
			markup.Escape(oneLine(t.Resolution.Done, 120))))
	}
	return f.say(strings.Join(lines, "\n"))
}
