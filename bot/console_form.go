package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/faultline/faultline/commands"
	"github.com/faultline/faultline/markup"
)

// fill asks for a modal's inputs one by one and submits them. A problem
// is shown and only the inputs concerned are asked again, as a Slack modal
// stays open with the rest filled in; a line starting with ":" (:cancel,
// :quit), or the end of input, closes it without submitting.
func (c *Console) fill(ctx context.Context, md commands.Modal) commands.Response {
	c.printf("%s\n", c.T("console.form", md.Title))
	if md.Intro != "" {
		c.printf("%s\n", indent(c.plain(md.Intro)))
	}
	values := map[string]string{}
	ask := md.Inputs
	for {
		for _, in := range ask {
			v, ok := c.askInput(in)
			if !ok {
				c.printf("%s\n", c.T("console.form_closed"))
				return commands.Response{}
			}
			values[in.ID] = v
		}
		resp := c.Handler.Submit(ctx, commands.Submission{CallbackID: md.CallbackID, User: c.user, Values: values, Metadata: formMetadata(md)})
		if len(resp.Errors) == 0 {
			return resp
		}
		ask = nil
		for _, in := range md.Inputs {
			if problem, bad := resp.Errors[in.ID]; bad {
				c.printf("! %s: %s\n", in.Label, markup.Plain(problem))
				ask = append(ask, in)
			}
		}
	}
}

// formMetadata is what Slack would give back with the submission: the
// report form remembers the channel it was opened from, the others their
// ticket.
func formMetadata(md commands.Modal) string {
	if md.Metadata == "" || md.CallbackID == commands.CallbackReport {
		return consoleChannel
	}
	return md.Metadata
}

// askInput reads one input; a picker takes a number from its list (or
// nothing, when optional) and asks again otherwise.
func (c *Console) askInput(in commands.Input) (string, bool) {
	label := in.Label
	if in.Hint != "" {
		label = c.T("console.hint", label, in.Hint)
	}
	if len(in.Options) > 0 {
		names := make([]string, len(in.Options))
		for i, o := range in.Options {
			names[i] = fmt.Sprintf("%d) %s", i+1, o.Label)
		}
		label = c.T("console.field", label, strings.Join(names, "  "))
	}
	switch {
	case in.Value != "":
		current := in.Value
		for _, o := range in.Options {
			if o.Value == in.Value {
				current = o.Label // a picker's value reads as its option
			}
		}
		label += c.T("console.keep", markup.Plain(current))
	case in.Optional:
		label += c.T("console.skip")
	}
	if in.Multiline {
		label += c.T("console.lines")
	}
	for {
		c.printf("%s\n", label)
		v, ok := c.readLine("  > ")
		word, _, _ := strings.Cut(strings.TrimSpace(v), " ")
		switch {
		case !ok || word == ":cancel":
			return "", false
		case word == ":quit":
			c.quitting = true // the form closes, and the console with it
			return "", false
		case word == ":as" || word == ":thread" || word == ":help":
			c.printf("%s\n", c.T("console.in_form"))
			continue
		}
		if in.Multiline && v != "" {
			v = c.moreLines(v)
		}
		if v == "" && in.Value != "" {
			return in.Value, true
		}
		if len(in.Options) == 0 || (v == "" && in.Optional) {
			return v, true
		}
		if i, err := strconv.Atoi(v); err == nil && i >= 1 && i <= len(in.Options) {
			return in.Options[i-1].Value, true
		}
		c.printf("%s\n", c.T("console.pick", len(in.Options)))
	}
}

// moreLines reads the rest of a multi-line answer, up to an empty line.
func (c *Console) moreLines(first string) string {
	lines := []string{first}
	for {
		line, ok := c.readLine("  > ")
		if !ok || line == "" {
			return strings.Join(lines, "\n")
		}
		lines = append(lines, line)
	}
}
