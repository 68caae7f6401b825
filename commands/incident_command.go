package commands

import (
	"context"
	"strings"

	"github.com/faultline/faultline"
)

// command handles /incident: declare (with text, or a form without), list,
// show, export, close, help.
func (f *incidentFlow) command(ctx context.Context, req Request) Response {
	if f.set.IncidentsChannel == "" {
		return f.say(f.cat.T("inc.no_channel"))
	}
	if strings.TrimSpace(req.Text) == "" {
		return Response{Modal: f.declareModal(req.Channel)}
	}
	return subcommands{
		"help":   func(context.Context, Request, string) Response { return f.say(f.cat.T("inc.usage")) },
		"list":   func(ctx context.Context, req Request, rest string) Response { return f.list(ctx, req.User, rest) },
		"show":   func(ctx context.Context, req Request, rest string) Response { return f.show(ctx, req.User, rest) },
		"search": func(ctx context.Context, req Request, rest string) Response { return f.search(ctx, req.User, rest) },
		"export": func(ctx context.Context, req Request, rest string) Response { return f.export(ctx, req.User, rest) },
		"close": func(ctx context.Context, req Request, rest string) Response {
			return f.press(ctx, Action{ID: incidentButton(faultline.IncClose), Value: rest, User: req.User})
		},
	}.run(ctx, req, f.declareCommand)
}
