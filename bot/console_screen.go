package bot

import (
	"context"
	"fmt"
	"strings"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/markup"
)

// Post implements commands.Poster: the message is printed, and a new
// ticket's message becomes the thread replies go to.
func (c *Console) Post(_ context.Context, m faultline.Message) (string, error) {
	c.mu.Lock()
	c.seq++
	ts := c.ts()
	n := 0
	if !m.Ephemeral {
		c.messages = append(c.messages, shown{channel: m.Channel, ts: ts, thread: m.ThreadTS})
		n = len(c.messages)
		if m.ThreadTS == "" && (c.Follow == nil || c.Follow[m.Channel]) && !strings.HasPrefix(m.Channel, dmPrefix) {
			c.thread = shown{channel: m.Channel, ts: ts}
		}
	}
	c.mu.Unlock()
	heading := ""
	if !m.Ephemeral {
		heading = c.T("console.posted", c.where(m), n)
	}
	c.show(m, ts, heading)
	return ts, nil
}

// dmPrefix marks the console's direct-message channels.
const dmPrefix = "DM:"

// OpenDM implements commands.Poster.
func (c *Console) OpenDM(_ context.Context, user string) (string, error) {
	return dmPrefix + user, nil
}

// UserGone implements commands.Poster: nobody leaves in the console.
func (c *Console) UserGone(context.Context, string) (bool, error) { return false, nil }

// Update implements commands.Poster.
func (c *Console) Update(_ context.Context, channel, ts string, m faultline.Message) error {
	m.Channel = channel
	heading := ""
	if !m.Ephemeral {
		heading = c.T("console.updated", c.where(m), c.number(ts))
	}
	c.show(m, ts, heading)
	return nil
}

// Respond implements commands.Responder.
func (c *Console) Respond(_ context.Context, m faultline.Message) error {
	c.show(m, "", "")
	return nil
}

func (c *Console) ts() string {
	return fmt.Sprintf("%d.%06d", c.Now().Unix(), c.seq)
}

func (c *Console) number(ts string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.indexOf(ts)
}

func (c *Console) indexOf(ts string) int {
	for i, m := range c.messages {
		if m.ts == ts {
			return i + 1
		}
	}
	return 0
}

// where is the channel and thread a message shows in.
func (c *Console) where(m faultline.Message) string {
	where := c.channelName(m.Channel)
	if m.ThreadTS != "" {
		where += c.T("console.thread_of", c.number(m.ThreadTS))
	}
	return where
}

func (c *Console) channelName(id string) string {
	if user, ok := strings.CutPrefix(id, dmPrefix); ok {
		return c.T("console.dm_to", user)
	}
	if name, ok := c.Channels[id]; ok {
		return "#" + name
	}
	return "#" + id
}

// plain is PlainText with configured channels shown by name.
func (c *Console) plain(s string) string {
	for id, name := range c.Channels {
		s = strings.ReplaceAll(s, "<#"+id+">", "#"+name)
	}
	return markup.Plain(s)
}

// show prints a message as text and numbers its buttons.
func (c *Console) show(m faultline.Message, ts, heading string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if heading == "" {
		heading = c.T("console.only_you")
	}
	var b strings.Builder
	b.WriteString(heading + "\n")
	if m.Text != "" {
		b.WriteString(indent(c.plain(m.Text)) + "\n")
	}
	if len(m.Fields) > 0 {
		parts := make([]string, len(m.Fields))
		for i, f := range m.Fields {
			parts[i] = c.T("console.field", c.plain(f.Label), c.plain(f.Value))
		}
		b.WriteString(indent(strings.Join(parts, " · ")) + "\n")
	}
	if m.Context != "" {
		b.WriteString(indent(c.T("console.context", c.plain(m.Context))) + "\n")
	}
	for _, btn := range m.Buttons {
		c.buttons = append(c.buttons, pressable{button: btn, channel: m.Channel, ts: ts, thread: m.ThreadTS})
		fmt.Fprintf(&b, "  [%d] %s\n", len(c.buttons), btn.Label)
	}
	c.write(b.String())
}

func (c *Console) printf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.write(fmt.Sprintf(format, args...))
}

// write prints s (c.mu held). While a line is awaited, s is held and
// shown once Enter is pressed: a terminal that echoes what is typed cannot
// have a message printed into the line being typed without garbling it.
func (c *Console) write(s string) {
	if c.waiting != "" {
		c.held.WriteString(s)
		return
	}
	fmt.Fprint(c.out, s)
}

// release shows what arrived while a line was awaited (c.mu held).
func (c *Console) release() {
	if c.held.Len() > 0 {
		fmt.Fprint(c.out, c.held.String())
		c.held.Reset()
	}
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

// SendHook implements commands.HookSender: what a group robot (DingTalk,
// Feishu, WeCom) would receive is printed, never sent.
func (c *Console) SendHook(_ context.Context, name, text string) error {
	c.show(faultline.Message{Text: markup.Escape(text)}, "", c.T("console.hook", name))
	return nil
}
