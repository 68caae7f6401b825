package commands

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"unicode/utf8"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/markup"
)

// The fault flow (网络故障处理流程): /fault, the ticket's buttons and forms,
// its path checks, its clocks, and the replies in its thread.
type faultFlow struct {
	*flow
	store  FaultStore
	pinger Pinger
	checks *checks
	sched  Scheduler
	// intake serialises, in this process, the reports of sites that share
	// a hop: each looks for the open outage and joins it or opens one, so
	// a burst of first reports opens one ticket, not one each.
	intake intakeLocks
}

// Limits on what a user may type; longer text gets a polite refusal and
// nothing is stored.
const (
	MaxDescription = 2000 // runes
	maxListed      = 20
)

// target is what a report or a check is about: a configured site's path,
// or one ad-hoc host.
type target struct {
	name string
	site string
	path []faultline.Hop
}

// resolve finds a configured site by name or alias; failing that, a word
// that is an IP address or a dotted host name is checked on its own.
func (f *faultFlow) resolve(word string) (target, bool) {
	if site, ok := faultline.FindSite(f.set.Sites, word); ok {
		return target{name: site.Name, site: site.Name, path: site.Path}, true
	}
	if looksLikeHost(word) {
		return target{name: word, path: faultline.HostPath(word)}, true
	}
	return target{}, false
}

func looksLikeHost(w string) bool {
	if _, err := netip.ParseAddr(w); err == nil {
		return true
	}
	if w == "localhost" {
		return true
	}
	if len(w) > 253 || !strings.Contains(w, ".") || strings.HasPrefix(w, ".") || strings.HasSuffix(w, "..") {
		return false
	}
	for _, r := range w {
		if !(r == '.' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

// targetOf rebuilds the target of an existing ticket. A site removed from
// the config since is checked as a host if it looks like one.
func (f *faultFlow) targetOf(t faultline.Fault) (target, bool) {
	if t.Site != "" {
		if site, ok := faultline.FindSite(f.set.Sites, t.Site); ok {
			return target{name: site.Name, site: site.Name, path: site.Path}, true
		}
		return target{}, false
	}
	return f.resolve(t.Target)
}

// report opens a ticket for the target the first word names, with the
// rest as its description: the ticket, its head message, its clocks and its
// path check are stored before the answer; the check runs as a task.
// While the database does not answer, the answer says the report was not
// saved and offers to send it again under the same request key, so that a
// try that did get through is not opened twice.
func (f *faultFlow) report(ctx context.Context, req Request) Response {
	word, description := cut(req.Text)
	t, ok := f.resolve(word)
	if !ok {
		return f.unknownTarget(word)
	}
	if problem := f.checkDescription(description); problem != "" {
		return f.say(problem + "\n" + f.usage())
	}
	key := requestKey(req.TriggerID)
	var notice string
	if site, ok := faultline.FindSite(f.set.Sites, t.site); ok {
		notice = f.maintenanceNotice(ctx, site)
		outage, ok, unlock, err := f.outageToJoin(ctx, site)
		defer unlock()
		switch {
		case errors.Is(err, faultline.ErrUnavailable):
			f.log.ErrorContext(ctx, "open fault: database unavailable", "user", req.User, "err", err)
			return Response{Reply: f.notSaved(err, faultUnsaved, key, req.Text)}
		case err != nil:
			return f.internal(ctx, "look up the open outage", err)
		}
		if ok {
			if resp, joined := f.joinCommand(ctx, outage, req, site, description, key); joined {
				return withNotice(resp, notice)
			}
		}
	}
	ticket, err := f.open(ctx, req.User, t, description, key, nil, true)
	switch {
	case errors.Is(err, faultline.ErrReplay):
		return f.say(f.cat.T("fault.already", ticket.Ref(), markup.Escape(ticket.Target), markup.ChannelLink(f.set.FaultsChannel)))
	case errors.Is(err, faultline.ErrUnavailable):
		f.log.ErrorContext(ctx, "open fault: database unavailable", "user", req.User, "err", err)
		return Response{Reply: f.notSaved(err, faultUnsaved, key, req.Text)}
	case err != nil:
		return f.internal(ctx, "open fault", err)
	}
	return withNotice(f.say(f.opened(ticket, t)), notice)
}

// ActionResend sends a report again that the database did not take; its
// value is the request key and the text.
const ActionResend = "fault_resend"

// requestKey is the key a report is stored under, from the Slack request
// that made it; the console has none, and its reports have no key.
func requestKey(trigger string) string {
	if trigger == "" {
		return ""
	}
	return "trigger:" + trigger
}

// notSaved is the answer to a report the database did not take, or took
// without saying so (err is faultline.ErrUncertain), with a button that
// sends the same text again under the same key (when they fit in a
// button, 2,000 characters).
func (f *flow) notSaved(err error, u unsaved, key, text string) *faultline.Message {
	unsure := errors.Is(err, faultline.ErrUncertain)
	value := key + "\n" + text
	if key == "" || utf8.RuneCountInString(value) > 2000 {
		if unsure {
			return f.ephemeral(f.cat.T(u.UnsureRetypeKey))
		}
		return f.ephemeral(f.cat.T(u.RetypeKey))
	}
	m := f.ephemeral(f.cat.T(u.ButtonKey))
	if unsure {
		m = f.ephemeral(f.cat.T(u.UnsureKey))
	}
	m.Buttons = []faultline.Button{{ID: u.Action, Label: f.cat.T("button.resend"), Value: value, Style: "primary"}}
	return m
}

// unsaved is how to answer a report the database did not take: the
// sentence when a Send again button can carry the text back (Slack caps a
// button's value at 2,000 characters), the one asking to type it again
// when it cannot, the same two for when it may have been taken after all,
// and the button's action.
type unsaved struct {
	ButtonKey, RetypeKey, UnsureKey, UnsureRetypeKey string
	FormKey, UnsureFormKey                           string // the same as a form's field error
	Action                                           string
}

var (
	faultUnsaved = unsaved{ButtonKey: "fault.not_saved", RetypeKey: "fault.not_saved_retype",
		UnsureKey: "fault.not_confirmed", UnsureRetypeKey: "fault.not_confirmed_retype",
		FormKey: "fault.not_saved_form", UnsureFormKey: "fault.not_confirmed_form", Action: ActionResend}
	incidentUnsaved = unsaved{ButtonKey: "inc.not_saved", RetypeKey: "inc.not_saved_retype",
		UnsureKey: "inc.not_confirmed", UnsureRetypeKey: "inc.not_confirmed_retype",
		FormKey: "inc.not_saved_form", UnsureFormKey: "inc.not_confirmed_form", Action: ActionIncidentResend}
)

// formUnsaved is a form's field error for a report the database did not
// take, or may not have.
func (f *flow) formUnsaved(err error, u unsaved) map[string]string {
	if errors.Is(err, faultline.ErrUncertain) {
		return map[string]string{"description": f.cat.T(u.UnsureFormKey)}
	}
	return map[string]string{"description": f.cat.T(u.FormKey)}
}

// resend is the Send again button of a report the database did not take.
func (f *faultFlow) resend(ctx context.Context, a Action) Response {
	key, text, _ := strings.Cut(a.Value, "\n")
	trigger, _ := strings.CutPrefix(key, "trigger:")
	return f.report(ctx, Request{Command: "/fault", Text: text, User: a.User, Channel: a.Channel, TriggerID: trigger, Respond: a.Respond})
}

func (f *faultFlow) opened(ticket faultline.Fault, t target) string {
	return f.cat.T("fault.opened", ticket.Ref(), markup.Escape(t.name), markup.ChannelLink(f.set.FaultsChannel))
}

func (f *faultFlow) unknownTarget(word string) Response {
	return f.say(f.cat.T("fault.unknown_site", markup.Escape(word)) + "\n" + f.usage())
}

func (f *faultFlow) checkDescription(d string) string {
	switch n := utf8.RuneCountInString(d); {
	case strings.TrimSpace(d) == "":
		return f.cat.T("fault.need_description")
	case n > MaxDescription:
		return f.cat.T("fault.too_long", n, MaxDescription)
	}
	return ""
}

// open stores the ticket with its head message (and extra messages) in the
// outbox, its path check as a task (unless the caller has one), and the
// clocks of the document's risk points: not taken, not resolved. A
// repeated key is faultline.ErrReplay, with the ticket it made.
func (f *faultFlow) open(ctx context.Context, user string, t target, description, key string, extra []faultline.Outgoing, check bool) (faultline.Fault, error) {
	now := f.now()
	with := faultline.Change{
		Out: append([]faultline.Outgoing{{Kind: faultline.OutHead, Message: faultline.Message{Channel: f.set.FaultsChannel}}}, extra...),
	}
	if check {
		with.Tasks = checkTask(faultline.TaskCheck, faultline.ActorBot)
	}
	if len(f.set.Escalation) > 1 {
		with.SetTimers = []faultline.Timer{
			{Kind: faultline.TimerAck, DueAt: now.Add(f.set.Deadlines.Ack)},
			{Kind: faultline.TimerResolve, DueAt: now.Add(f.set.Deadlines.Resolve)}}
	}
	var ticket faultline.Fault
	err := f.persist(ctx, func(ctx context.Context) (err error) {
		ticket, err = f.store.CreateFault(ctx, faultline.Fault{
			Target: t.name, Site: t.site, Description: description, RequestKey: key,
			Reporter: user, State: faultline.FaultOpen, CreatedAt: now, LinkedTo: linkedFrom(ctx),
		}, with)
		return err
	})
	if err == nil {
		f.nudge()
	}
	return ticket, err
}

// linkedKey carries, in a context, the ticket a new one is split off from.
type linkedKey struct{}

func linkedFrom(ctx context.Context) int64 {
	n, _ := ctx.Value(linkedKey{}).(int64)
	return n
}

// lookup reads the ticket a button's value or a typed reference names; a
// missing one answers "There is no ticket …".
func (f *faultFlow) lookup(ctx context.Context, ref string) (faultline.Fault, *Response) {
	n, err := faultline.ParseFaultRef(ref)
	if err != nil {
		r := f.say(f.cat.T("fault.not_found", markup.Escape(ref)))
		return faultline.Fault{}, &r
	}
	ticket, err := f.store.Fault(ctx, n)
	switch {
	case errors.Is(err, faultline.ErrNotFound):
		r := f.say(f.cat.T("fault.not_found", markup.Escape(ref)))
		return ticket, &r
	case err != nil:
		r := f.internal(ctx, "look up fault", err)
		return ticket, &r
	}
	return ticket, nil
}

// reply records a message written in a ticket's thread on its timeline; it
// reports false when the thread is no ticket's.
func (f *faultFlow) reply(ctx context.Context, r ThreadReply) (bool, error) {
	ticket, err := f.store.FaultByMessage(ctx, r.Channel, r.ThreadTS)
	if errors.Is(err, faultline.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, f.commit(ctx, faultline.Change{FaultID: ticket.ID, Request: eventKey(r), Events: []faultline.Event{{
		FaultID: ticket.ID, At: f.now(), Actor: r.User, Kind: faultline.EventReply, Text: r.Text,
	}}})
}

// eventKey is the key a thread reply is recorded under: the message's
// own identity in Slack (its channel and timestamp), so a redelivery, or
// the same message under another event ID, is recorded once.
func eventKey(r ThreadReply) string {
	switch {
	case r.TS != "":
		return "reply:" + r.Channel + ":" + r.TS
	case r.EventID != "":
		return "event:" + r.EventID
	}
	return ""
}
