package commands

import (
	"context"
	"strings"

	"github.com/faultline/faultline/markup"
)

// command handles /fault: with no text a form; help, ping, list, show and
// search; anything else is a report, "<site-or-host> <what is wrong>".
func (f *faultFlow) command(ctx context.Context, req Request) Response {
	if strings.TrimSpace(req.Text) == "" {
		return Response{Modal: f.reportModal(req.Channel)}
	}
	return subcommands{
		"help":        func(context.Context, Request, string) Response { return f.say(f.usage()) },
		"ping":        f.pingCommand,
		"list":        func(ctx context.Context, _ Request, _ string) Response { return f.list(ctx) },
		"show":        func(ctx context.Context, _ Request, rest string) Response { return f.show(ctx, rest) },
		"search":      func(ctx context.Context, _ Request, rest string) Response { return f.search(ctx, rest) },
		"status":      func(ctx context.Context, _ Request, _ string) Response { return f.status(ctx) },
		"maintenance": f.maintenance,
	}.run(ctx, req, f.report)
}

func (f *faultFlow) usage() string {
	names := make([]string, len(f.set.Sites))
	for i, site := range f.set.Sites {
		names[i] = "`" + markup.Escape(site.Name) + "`"
	}
	return f.cat.T("fault.usage", strings.Join(names, ", "))
}
