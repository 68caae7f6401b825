package commands

import (
	"context"
	"errors"
	"strings"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/markup"
)

// The fault flow's forms.
const (
	CallbackReport = "fault_report"
	CallbackVendor = "fault_vendor"
	CallbackClose  = "fault_close"
)

// submit takes one of the fault flow's forms.
func (f *faultFlow) submit(ctx context.Context, sub Submission) Response {
	switch sub.CallbackID {
	case CallbackReport:
		return f.submitReport(ctx, sub)
	case CallbackVendor:
		return f.submitVendor(ctx, sub)
	case CallbackClose:
		return f.submitClose(ctx, sub)
	}
	return Response{}
}

// reportModal is the form `/fault` with no text opens: a site picker, a
// host for anything not configured, and the description. Metadata keeps
// the channel the command came from, to confirm the ticket there.
func (f *faultFlow) reportModal(channel string) *Modal {
	opts := make([]Option, len(f.set.Sites))
	for i, site := range f.set.Sites {
		opts[i] = Option{Value: site.Name, Label: site.Name}
	}
	return &Modal{
		CallbackID: CallbackReport,
		Title:      f.cat.T("modal.title"),
		Submit:     f.cat.T("modal.submit"),
		Metadata:   channel,
		Inputs: []Input{
			{ID: "site", Label: f.cat.T("modal.site"), Options: opts, Optional: true},
			{ID: "host", Label: f.cat.T("modal.host"), Hint: f.cat.T("modal.host_hint"), Optional: true, MaxLength: 253},
			{ID: "description", Label: f.cat.T("modal.description"), Multiline: true, MaxLength: MaxDescription},
		},
	}
}

func (f *faultFlow) submitReport(ctx context.Context, sub Submission) Response {
	word := strings.TrimSpace(sub.Values["host"])
	if word == "" {
		word = sub.Values["site"]
	}
	description := sub.Values["description"]
	problems := map[string]string{}
	t, ok := f.resolve(word)
	switch {
	case word == "":
		problems["site"] = f.cat.T("modal.need_site")
	case !ok:
		problems["host"] = f.cat.T("modal.bad_host", markup.Escape(word))
	}
	if p := f.checkDescription(description); p != "" {
		problems["description"] = p
	}
	if len(problems) > 0 {
		return Response{Errors: problems}
	}
	// The confirmation goes with the ticket, to the reporter alone in the
	// conversation the form came from (a form has no reply of its own); its
	// text, which names the new ticket, is written when it is sent.
	confirm := []faultline.Outgoing{formConfirmation(sub.User, sub.Metadata)}
	key := ""
	if sub.ViewID != "" {
		key = "view:" + sub.ViewID // every try of one form is one report
	}
	var err error
	joined := false
	if site, ok := faultline.FindSite(f.set.Sites, t.site); ok {
		outage, ok, unlock, lookErr := f.outageToJoin(ctx, site)
		defer unlock()
		switch {
		case errors.Is(lookErr, faultline.ErrUnavailable):
			f.log.ErrorContext(ctx, "open fault from the form: database unavailable", "user", sub.User, "err", lookErr)
			return Response{Errors: f.formUnsaved(lookErr, faultUnsaved)}
		case lookErr != nil:
			return formProblem("description", f.internal(ctx, "look up the open outage", lookErr))
		}
		if ok {
			_, _, err = f.join(ctx, outage, sub.User, site, description, key, sub.Metadata, confirm)
			joined = !errors.Is(err, faultline.ErrConflict)
		}
	}
	if !joined {
		_, err = f.open(ctx, sub.User, t, description, key, confirm, true)
	}
	switch {
	case errors.Is(err, faultline.ErrReplay):
		return Response{}
	case errors.Is(err, faultline.ErrUnavailable):
		f.log.ErrorContext(ctx, "open fault from the form: database unavailable", "user", sub.User, "err", err)
		return Response{Errors: f.formUnsaved(err, faultUnsaved)}
	case err != nil:
		return formProblem("description", f.internal(ctx, "open fault", err))
	}
	return Response{}
}

// vendorModal records the vendor's or carrier's ticket (联系当地供应商维修,
// 专线故障联系运营商); above the inputs, whom to call.
func (f *faultFlow) vendorModal(t faultline.Fault) *Modal {
	intro := f.inventoryText(t, f.now())
	if intro == "" {
		intro = f.cat.T("inv.no_hop")
	}
	return &Modal{
		CallbackID: CallbackVendor, Title: f.cat.T("vendor.title"), Submit: f.cat.T("modal.save"),
		Metadata: t.Ref(), Intro: intro,
		Inputs: []Input{
			{ID: "ticket", Label: f.cat.T("vendor.ticket"), Value: t.VendorTicket, MaxLength: 100},
			{ID: "due", Label: f.cat.T("vendor.due"), Hint: f.cat.T("vendor.due_hint"), Value: t.VendorDue, Optional: true, MaxLength: 100},
		},
	}
}

func (f *faultFlow) submitVendor(ctx context.Context, sub Submission) Response {
	if strings.TrimSpace(sub.Values["ticket"]) == "" {
		return Response{Errors: map[string]string{"ticket": f.cat.T("refuse.need_vendor_ticket", markup.Escape(sub.Metadata))}}
	}
	in := faultline.StepInput{VendorTicket: sub.Values["ticket"], VendorDue: sub.Values["due"]}
	return f.stepFromForm(ctx, sub, "ticket", faultline.ActVendor, in)
}

// closeModal asks for the resolution a ticket closes with (处理后的解决办法
// 收集总结): the cause, what was done, and who fixed it.
func (f *faultFlow) closeModal(t faultline.Fault) *Modal {
	causes := make([]Option, len(faultline.Causes))
	for i, c := range faultline.Causes {
		causes[i] = Option{Value: string(c), Label: f.causeName(c)}
	}
	return &Modal{
		CallbackID: CallbackClose, Title: f.cat.T("close.title"), Submit: f.cat.T("close.submit"), Metadata: t.Ref(),
		Intro: f.cat.T("close.intro", t.Ref(), markup.Escape(oneLine(t.Description, 200)), f.verdictSummary(t)),
		Inputs: []Input{
			{ID: "cause", Label: f.cat.T("close.cause"), Options: causes},
			{ID: "done", Label: f.cat.T("close.done"), Multiline: true, MaxLength: MaxDescription},
			{ID: "fixed_by", Label: f.cat.T("close.fixed_by"), Hint: f.cat.T("close.fixed_by_hint"), Optional: true, MaxLength: 200},
		},
	}
}

func (f *faultFlow) submitClose(ctx context.Context, sub Submission) Response {
	problems := map[string]string{}
	if sub.Values["cause"] == "" {
		problems["cause"] = f.cat.T("close.need_cause")
	}
	if strings.TrimSpace(sub.Values["done"]) == "" {
		problems["done"] = f.cat.T("close.need_done")
	}
	if len(problems) > 0 {
		return Response{Errors: problems}
	}
	res := faultline.Resolution{Cause: faultline.Cause(sub.Values["cause"]), Done: strings.TrimSpace(sub.Values["done"]), FixedBy: strings.TrimSpace(sub.Values["fixed_by"])}
	return f.stepFromForm(ctx, sub, "done", faultline.ActClose, faultline.StepInput{Resolution: res})
}

// stepFromForm takes the step a form is for on the ticket in its metadata;
// a refusal stays in the form, under field.
func (f *faultFlow) stepFromForm(ctx context.Context, sub Submission, field string, action faultline.FaultAction, in faultline.StepInput) Response {
	ticket, refused := f.lookup(ctx, sub.Metadata)
	if refused != nil {
		return formProblem(field, *refused)
	}
	resp, wasRefused := f.step(ctx, ticket, f.actor(sub.User), action, in)
	if wasRefused {
		return formProblem(field, resp)
	}
	return resp
}
