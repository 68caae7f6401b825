package bot

import (
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/commands"
)

// Block Kit limits (docs.slack.dev/reference/block-kit): longer text is
// cut rather than rejected with invalid_blocks, so a long description
// never loses the whole message.
const (
	maxSectionText = 3000
	maxFieldText   = 2000
	maxFields      = 10
	maxButtonText  = 75
	maxFallback    = 4000
)

// Blocks renders a message as Block Kit: the text as a section, fields as
// a two-column section, the context line, and the buttons in one actions
// block whose block_id is "actions".
func Blocks(m faultline.Message) []slack.Block {
	var blocks []slack.Block
	if m.Text != "" {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(m.Text, maxSectionText), nil, nil))
	}
	if len(m.Fields) > 0 {
		fields := make([]*slack.TextBlockObject, 0, len(m.Fields))
		for _, f := range m.Fields[:min(len(m.Fields), maxFields)] {
			fields = append(fields, mrkdwn("*"+f.Label+"*\n"+f.Value, maxFieldText))
		}
		blocks = append(blocks, slack.NewSectionBlock(nil, fields, nil))
	}
	if m.Context != "" {
		blocks = append(blocks, slack.NewContextBlock("", mrkdwn(m.Context, maxSectionText)))
	}
	if len(m.Buttons) > 0 {
		blocks = append(blocks, slack.NewActionBlock("actions", buttons(m.Buttons)...))
	}
	return blocks
}

func buttons(bs []faultline.Button) []slack.BlockElement {
	out := make([]slack.BlockElement, len(bs))
	for i, b := range bs {
		btn := slack.NewButtonBlockElement(b.ID, b.Value, plain(b.Label, maxButtonText))
		btn.Style = slack.Style(b.Style)
		out[i] = btn
	}
	return out
}

func mrkdwn(text string, limit int) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, truncate(text, limit), false, false)
}

func plain(text string, limit int) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, truncate(text, limit), false, false)
}

// truncate cuts text to limit characters, closing an open code fence so
// the cut text still renders.
func truncate(text string, limit int) string {
	if utf8.RuneCountInString(text) <= limit {
		return text
	}
	r := []rune(text)[:limit-5]
	cut := string(r) + "…"
	if strings.Count(cut, "```")%2 == 1 {
		cut += "\n```"
	}
	return cut
}

// Fallback is the plain text Slack shows in notifications and to screen
// readers: the message text, then its fields.
func Fallback(m faultline.Message) string {
	parts := []string{m.Text}
	for _, f := range m.Fields {
		parts = append(parts, f.Label+": "+f.Value)
	}
	return truncate(strings.Join(parts, "\n"), maxFallback)
}

// ModalView renders a form as a Slack modal.
func ModalView(md commands.Modal) slack.ModalViewRequest {
	var blocks []slack.Block
	if md.Intro != "" {
		blocks = append(blocks, slack.NewSectionBlock(mrkdwn(md.Intro, maxSectionText), nil, nil))
	}
	for _, in := range md.Inputs {
		blocks = append(blocks, inputBlock(in))
	}
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      md.CallbackID,
		Title:           plain(md.Title, 24),
		Submit:          plain(md.Submit, 24),
		PrivateMetadata: md.Metadata,
		Blocks:          slack.Blocks{BlockSet: blocks},
	}
}

// inputBlock renders one input, showing what it holds already: a
// picker's chosen option, a person, or the text to edit.
func inputBlock(in commands.Input) *slack.InputBlock {
	var element slack.BlockElement
	switch {
	case in.Kind == commands.InputUser:
		users := slack.NewOptionsSelectBlockElement(slack.OptTypeUser, nil, in.ID)
		users.InitialUser = in.Value
		element = users
	case len(in.Options) > 0:
		opts := make([]*slack.OptionBlockObject, len(in.Options))
		var initial *slack.OptionBlockObject
		for i, o := range in.Options {
			opts[i] = slack.NewOptionBlockObject(o.Value, plain(o.Label, 75), nil)
			if o.Value == in.Value {
				initial = opts[i]
			}
		}
		sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, nil, in.ID, opts...)
		sel.InitialOption = initial
		element = sel
	default:
		text := slack.NewPlainTextInputBlockElement(nil, in.ID)
		text.Multiline = in.Multiline
		text.MaxLength = in.MaxLength
		limit := 3000 // Slack's most for a plain-text input
		if in.MaxLength > 0 {
			limit = in.MaxLength
		}
		text.InitialValue = truncate(in.Value, limit)
		element = text
	}
	var hint *slack.TextBlockObject
	if in.Hint != "" {
		hint = plain(in.Hint, 2000)
	}
	block := slack.NewInputBlock(in.ID, plain(in.Label, 2000), hint, element)
	block.Optional = in.Optional
	return block
}

// submissionValues reads a submitted modal's inputs back by their IDs.
func submissionValues(state *slack.ViewState) map[string]string {
	values := map[string]string{}
	if state == nil {
		return values
	}
	for blockID, actions := range state.Values {
		for _, a := range actions {
			v := a.Value
			switch {
			case a.SelectedOption.Value != "":
				v = a.SelectedOption.Value
			case a.SelectedUser != "":
				v = a.SelectedUser
			}
			values[blockID] = v
		}
	}
	return values
}
