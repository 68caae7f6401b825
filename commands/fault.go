package commands

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"unicode/utf8"

	"github.com/faultline/faultline"
)

// Limits on what a user may type; longer text gets a polite refusal and
// nothing is stored.
const (
	MaxDescription = 2000 // runes
	maxListed      = 20
)

// Action IDs and modal callback IDs the fault flow uses. The procedure's
// buttons are "fault_" + the step (fault_take, fault_close…).
const (
	ActionRecheck  = "fault_recheck"
	CallbackReport = "fault_report"
	CallbackVendor = "fault_vendor"
	CallbackClose  = "fault_close"
)

// target is what a report or a check is about: a configured site's path,
// or one ad-hoc host.
type target struct {
	name string
	site string
	path []faultline.Hop
}

// Command handles a slash command. Unknown commands and malformed text get
// a reply that says what to type; nothing is stored for them.
func (s *Service) Command(ctx context.Context, req Request) Response {
	switch req.Command {
	case "/fault":
		return s.faultCommand(ctx, req)
	case "/incident":
		return s.incidentCommand(ctx, req)
	case "/duty":
		return s.dutyCommand(ctx, req)
	}
	return Response{Reply: s.ephemeral(s.cat.T("command.unknown", faultline.Escape(req.Command)))}
}

func (s *Service) faultCommand(ctx context.Context, req Request) Response {
	text := strings.TrimSpace(req.Text)
	if text == "" {
		return Response{Modal: s.reportModal(req.Channel)}
	}
	word, rest := cut(text)
	switch strings.ToLower(word) {
	case "help":
		return Response{Reply: s.ephemeral(s.usage())}
	case "ping":
		return s.pingCommand(req, rest)
	case "list":
		return s.listFaults(ctx)
	case "show":
		return s.showFault(ctx, rest)
	case "search":
		return s.searchFaults(ctx, rest)
	}
	return s.report(ctx, req.User, word, rest, req.Respond)
}

func cut(text string) (word, rest string) {
	word, rest, _ = strings.Cut(strings.TrimSpace(text), " ")
	return word, strings.TrimSpace(rest)
}

func (s *Service) usage() string {
	return s.cat.T("fault.usage", s.siteNames())
}

func (s *Service) siteNames() string {
	names := make([]string, len(s.settings.Sites))
	for i, site := range s.settings.Sites {
		names[i] = "`" + faultline.Escape(site.Name) + "`"
	}
	return strings.Join(names, ", ")
}

// resolve finds a configured site by name or alias; failing that, a word
// that is an IP address or a dotted host name is checked on its own.
func (s *Service) resolve(word string) (target, bool) {
	if site, ok := faultline.FindSite(s.settings.Sites, word); ok {
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

func (s *Service) unknownTarget(word string) Response {
	return Response{Reply: s.ephemeral(s.cat.T("fault.unknown_site", faultline.Escape(word)) + "\n" + s.usage())}
}

// report opens a ticket for target with description: the ticket, its
// head message and its clocks are stored before the answer, and the path
// check is the Work that follows.
func (s *Service) report(ctx context.Context, user, word, description string, respond Responder) Response {
	t, ok := s.resolve(word)
	if !ok {
		return s.unknownTarget(word)
	}
	if problem := s.checkDescription(description); problem != "" {
		return Response{Reply: s.ephemeral(problem + "\n" + s.usage())}
	}
	f, err := s.open(ctx, user, t, description)
	if err != nil {
		return s.internal(ctx, "open fault", err)
	}
	reply := s.cat.T("fault.opened", f.Ref(), faultline.Escape(t.name), faultline.ChannelLink(s.settings.FaultsChannel))
	return Response{
		Reply: s.ephemeral(reply),
		Work:  func(ctx context.Context) error { return s.checkFault(ctx, f.Number, t, faultline.ActorBot, nil) },
	}
}

func (s *Service) checkDescription(d string) string {
	switch n := utf8.RuneCountInString(d); {
	case strings.TrimSpace(d) == "":
		return s.cat.T("fault.need_description")
	case n > MaxDescription:
		return s.cat.T("fault.too_long", n, MaxDescription)
	}
	return ""
}

// open stores the ticket with its head message in the outbox and the
// clocks of the document's risk points: not taken, not resolved.
func (s *Service) open(ctx context.Context, user string, t target, description string) (faultline.Fault, error) {
	now := s.now()
	var timers []faultline.Timer
	if len(s.settings.Escalation) > 1 {
		timers = append(timers,
			faultline.Timer{Kind: faultline.TimerAck, DueAt: now.Add(s.settings.Deadlines.Ack)},
			faultline.Timer{Kind: faultline.TimerResolve, DueAt: now.Add(s.settings.Deadlines.Resolve)})
	}
	head := []Outgoing{{Kind: OutHead, Message: Message{Channel: s.settings.FaultsChannel}}}
	f, err := s.store.CreateFault(ctx, faultline.Fault{
		Target: t.name, Site: t.site, Description: description,
		Reporter: user, State: faultline.FaultOpen, CreatedAt: now,
	}, head, timers)
	if err == nil {
		s.nudge()
	}
	return f, err
}

// commit applies c, as of now, and wakes the outbox.
func (s *Service) commit(ctx context.Context, c Change) error {
	if c.At.IsZero() {
		c.At = s.now()
	}
	if err := s.store.Commit(ctx, c); err != nil {
		return err
	}
	s.nudge()
	return nil
}

// targetOf rebuilds the target of an existing ticket. A site removed from
// the config since is checked as a host if it looks like one.
func (s *Service) targetOf(f faultline.Fault) (target, bool) {
	if f.Site != "" {
		if site, ok := faultline.FindSite(s.settings.Sites, f.Site); ok {
			return target{name: site.Name, site: site.Name, path: site.Path}, true
		}
		return target{}, false
	}
	return s.resolve(f.Target)
}

// Press handles a button press: a step of the procedure, or a check.
func (s *Service) Press(ctx context.Context, a Action) Response {
	if a.ID == ActionRecheck {
		return s.recheck(ctx, a)
	}
	if action, ok := stepOfButton(a.ID); ok {
		return s.press(ctx, a, action)
	}
	if strings.HasPrefix(a.ID, "incident_") {
		return s.pressIncident(ctx, a)
	}
	if strings.HasPrefix(a.ID, "duty_") {
		return s.pressDuty(ctx, a)
	}
	return Response{Reply: s.ephemeral(s.cat.T("action.unknown"))}
}

func (s *Service) recheck(ctx context.Context, a Action) Response {
	f, err := s.faultFromValue(ctx, a.Value)
	if err != nil {
		return s.faultLookupFailed(ctx, a.Value, err)
	}
	t, ok := s.targetOf(f)
	if !ok {
		return Response{Reply: s.ephemeral(s.cat.T("fault.site_gone", faultline.Escape(f.Site)))}
	}
	return Response{
		Reply: s.ephemeral(s.cat.T("fault.rechecking", f.Ref())),
		Work:  func(ctx context.Context) error { return s.checkFault(ctx, f.Number, t, a.User, nil) },
	}
}

func (s *Service) faultFromValue(ctx context.Context, value string) (faultline.Fault, error) {
	n, err := faultline.ParseFaultRef(value)
	if err != nil {
		return faultline.Fault{}, faultline.ErrNotFound
	}
	return s.store.Fault(ctx, n)
}

func (s *Service) faultLookupFailed(ctx context.Context, ref string, err error) Response {
	if errors.Is(err, faultline.ErrNotFound) {
		return Response{Reply: s.ephemeral(s.cat.T("fault.not_found", faultline.Escape(ref)))}
	}
	return s.internal(ctx, "look up fault", err)
}

// ThreadReply records a message written in a ticket's thread on the
// ticket's timeline. Messages in other threads are none of the bot's
// business and are ignored.
func (s *Service) ThreadReply(ctx context.Context, r ThreadReply) error {
	f, err := s.store.FaultByMessage(ctx, r.Channel, r.ThreadTS)
	if errors.Is(err, faultline.ErrNotFound) {
		return s.incidentReply(ctx, r)
	}
	if err != nil {
		return err
	}
	return s.commit(ctx, Change{FaultID: f.ID, Events: []faultline.Event{{
		FaultID: f.ID, At: s.now(), Actor: r.User, Kind: faultline.EventReply, Text: r.Text,
	}}})
}

// incidentReply records a reply in an incident's thread on its timeline
// (the archive keeps what people said while handling it).
func (s *Service) incidentReply(ctx context.Context, r ThreadReply) error {
	inc, err := s.store.IncidentByMessage(ctx, r.Channel, r.ThreadTS)
	if errors.Is(err, faultline.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return s.commit(ctx, Change{IncidentID: inc.ID, Events: []faultline.Event{{
		At: s.now(), Actor: r.User, Kind: faultline.EventReply, Text: r.Text,
	}}})
}
