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
	if sub.CallbackID != CallbackReport {
		return Response{}
	}
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
		s.confirmInChannel(ctx, sub, f.Ref(), t.name)
		return s.postFault(ctx, f, t, nil)
	}}
}

func (s *Service) confirmInChannel(ctx context.Context, sub Submission, ref, name string) {
	if sub.Metadata == "" {
		return
	}
	m := s.ephemeral(s.cat.T("fault.opened", ref, faultline.Escape(name), faultline.ChannelLink(s.settings.FaultsChannel)))
	m.Channel, m.User = sub.Metadata, sub.User
	if _, err := s.poster.Post(ctx, *m); err != nil {
		s.log.WarnContext(ctx, "confirm ticket to reporter", "fault", ref, "err", err)
	}
}
