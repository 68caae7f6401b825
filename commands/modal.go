package commands

import (
	"context"
	"strings"

	"github.com/faultline/faultline"
)

// reportModal is the form `/fault` with no text opens: a site picker, a
// host for anything not configured, and the description. Metadata keeps
// the channel the command came from, to confirm the ticket there.
func (s *Service) reportModal(channel string) *Modal {
	opts := make([]Option, len(s.settings.Sites))
	for i, site := range s.settings.Sites {
		opts[i] = Option{Value: site.Name, Label: site.Name}
	}
	return &Modal{
		CallbackID: CallbackReport,
		Title:      s.cat.T("modal.title"),
		Submit:     s.cat.T("modal.submit"),
		Metadata:   channel,
		Inputs: []Input{
			{ID: "site", Label: s.cat.T("modal.site"), Options: opts, Optional: true},
			{ID: "host", Label: s.cat.T("modal.host"), Hint: s.cat.T("modal.host_hint"), Optional: true, MaxLength: 253},
			{ID: "description", Label: s.cat.T("modal.description"), Multiline: true, MaxLength: MaxDescription},
		},
	}
}

// Submit handles a submitted modal. Problems keep the modal open with a
// message under the input concerned; nothing is stored until all is well.
func (s *Service) Submit(ctx context.Context, sub Submission) Response {
	switch sub.CallbackID {
	case CallbackReport:
		return s.submitReport(ctx, sub)
	case CallbackVendor:
		return s.submitVendor(ctx, sub)
	case CallbackClose:
		return s.submitClose(ctx, sub)
	}
	if strings.HasPrefix(sub.CallbackID, "incident_") {
		return s.submitIncident(ctx, sub)
	}
	if strings.HasPrefix(sub.CallbackID, "duty_") {
		return s.submitDuty(ctx, sub)
	}
	return Response{}
}

func (s *Service) submitReport(ctx context.Context, sub Submission) Response {
	word := strings.TrimSpace(sub.Values["host"])
	if word == "" {
		word = sub.Values["site"]
	}
	description := sub.Values["description"]
	problems := map[string]string{}
	t, ok := s.resolve(word)
	switch {
	case word == "":
		problems["site"] = s.cat.T("modal.need_site")
	case !ok:
		problems["host"] = s.cat.T("modal.bad_host", faultline.Escape(word))
	}
	if p := s.checkDescription(description); p != "" {
		problems["description"] = p
	}
	if len(problems) > 0 {
		return Response{Errors: problems}
	}
	f, err := s.open(ctx, sub.User, t, description)
	if err != nil {
		return s.internal(ctx, "open fault", err)
	}
	return Response{Work: func(ctx context.Context) error {
		if sub.Metadata != "" {
			confirm := Message{Channel: sub.Metadata, Text: s.cat.T("fault.opened", f.Ref(), faultline.Escape(t.name), faultline.ChannelLink(s.settings.FaultsChannel))}
			if err := s.commit(ctx, Change{FaultID: f.ID, Out: []Outgoing{{Kind: OutEphemeral, User: sub.User, Message: confirm}}}); err != nil {
				return err
			}
		}
		return s.checkFault(ctx, f.Number, t, faultline.ActorBot, nil)
	}}
}

// vendorModal records the vendor's or carrier's ticket (联系当地供应商维修,
// 专线故障联系运营商); above the inputs, whom to call.
func (s *Service) vendorModal(f faultline.Fault) *Modal {
	intro := s.inventoryText(f, s.now())
	if intro == "" {
		intro = s.cat.T("inv.no_hop")
	}
	return &Modal{
		CallbackID: CallbackVendor, Title: s.cat.T("vendor.title"), Submit: s.cat.T("modal.save"),
		Metadata: f.Ref(), Intro: intro,
		Inputs: []Input{
			{ID: "ticket", Label: s.cat.T("vendor.ticket"), MaxLength: 100},
			{ID: "due", Label: s.cat.T("vendor.due"), Hint: s.cat.T("vendor.due_hint"), Optional: true, MaxLength: 100},
		},
	}
}

func (s *Service) submitVendor(ctx context.Context, sub Submission) Response {
	n, err := faultline.ParseFaultRef(sub.Metadata)
	if err != nil {
		return Response{}
	}
	if strings.TrimSpace(sub.Values["ticket"]) == "" {
		return Response{Errors: map[string]string{"ticket": s.cat.T("refuse.need_vendor_ticket", sub.Metadata)}}
	}
	return s.stepFromForm(ctx, n, sub.User, "ticket", faultline.ActVendor, faultline.StepInput{VendorTicket: sub.Values["ticket"], VendorDue: sub.Values["due"]})
}

// closeModal asks for the resolution a ticket closes with (处理后的解决办法
// 收集总结): the cause, what was done, and who fixed it.
func (s *Service) closeModal(f faultline.Fault) *Modal {
	causes := make([]Option, len(faultline.Causes))
	for i, c := range faultline.Causes {
		causes[i] = Option{Value: string(c), Label: s.cat.T("cause." + string(c))}
	}
	return &Modal{
		CallbackID: CallbackClose, Title: s.cat.T("close.title"), Submit: s.cat.T("close.submit"), Metadata: f.Ref(),
		Intro: s.cat.T("close.intro", f.Ref(), faultline.Escape(oneLine(f.Description, 200)), s.verdictSummary(f)),
		Inputs: []Input{
			{ID: "cause", Label: s.cat.T("close.cause"), Options: causes},
			{ID: "done", Label: s.cat.T("close.done"), Multiline: true, MaxLength: MaxDescription},
			{ID: "fixed_by", Label: s.cat.T("close.fixed_by"), Hint: s.cat.T("close.fixed_by_hint"), Optional: true, MaxLength: 200},
		},
	}
}

func (s *Service) submitClose(ctx context.Context, sub Submission) Response {
	n, err := faultline.ParseFaultRef(sub.Metadata)
	if err != nil {
		return Response{}
	}
	problems := map[string]string{}
	if sub.Values["cause"] == "" {
		problems["cause"] = s.cat.T("close.need_cause")
	}
	if strings.TrimSpace(sub.Values["done"]) == "" {
		problems["done"] = s.cat.T("close.need_done")
	}
	if len(problems) > 0 {
		return Response{Errors: problems}
	}
	res := faultline.Resolution{Cause: faultline.Cause(sub.Values["cause"]), Done: strings.TrimSpace(sub.Values["done"]), FixedBy: strings.TrimSpace(sub.Values["fixed_by"])}
	return s.stepFromForm(ctx, n, sub.User, "done", faultline.ActClose, faultline.StepInput{Resolution: res})
}
