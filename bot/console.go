package bot

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/commands"
)

// Console is the chat in a terminal: you type slash commands and thread
// replies as a chosen user, read the bot's messages as text, and press
// buttons by number. It runs the same flows as Slack, and is also their
// Poster and Responder, so what the bot would post shows up here.
type Console struct {
	Handler  Handler
	Channels map[string]string // channel ID → name shown
	Describe func(user string) string
	Echo     bool // repeat each input line, for transcripts of piped input
	Now      func() time.Time

	in   *bufio.Scanner
	out  io.Writer
	user string

	mu       sync.Mutex
	seq      int
	messages []string // message number - 1 → ts
	buttons  []pressable
	thread   commands.Message // Channel and ThreadTS of the thread replies go to
}

type pressable struct {
	button  commands.Button
	channel string
	ts      string
	thread  string
}

// consoleChannel stands for the conversation the console user types in.
const consoleChannel = "D0CONSOLE"

// NewConsole returns a console reading in and writing out, as user.
func NewConsole(in io.Reader, out io.Writer, user string) *Console {
	return &Console{in: bufio.NewScanner(in), out: out, user: user, Now: time.Now}
}

// Run reads lines until ":quit", end of input or ctx ends.
func (c *Console) Run(ctx context.Context) error {
	if help := c.Handler.Command(ctx, commands.Request{Command: "/fault", Text: "help", User: c.user}).Reply; help != nil {
		c.printf("%s\n", PlainText(help.Text))
	}
	c.printf("%s\n", consoleHelp)
	for ctx.Err() == nil {
		line, ok := c.readLine(c.user + "> ")
		if !ok {
			return nil
		}
		if quit := c.dispatch(ctx, line); quit {
			return nil
		}
	}
	return nil
}

const consoleHelp = "Console: type /fault … as in Slack · a number presses that button · other text is a reply in the current thread\n" +
	"  :as U123 act as another user · :thread N reply in message N's thread · :help · :quit"

func (c *Console) readLine(prompt string) (string, bool) {
	c.printf("%s", prompt)
	if !c.in.Scan() {
		c.printf("\n")
		return "", false
	}
	line := strings.TrimSpace(c.in.Text())
	if c.Echo {
		c.printf("%s\n", line)
	}
	return line, true
}

func (c *Console) dispatch(ctx context.Context, line string) (quit bool) {
	word, rest, _ := strings.Cut(line, " ")
	rest = strings.TrimSpace(rest)
	switch {
	case line == "":
	case line == ":quit" || line == ":q" || line == "exit":
		return true
	case line == ":help":
		c.printf("%s\n", consoleHelp)
	case word == ":as":
		c.switchUser(rest)
	case word == ":thread":
		c.chooseThread(rest)
	case strings.HasPrefix(line, ":"):
		c.printf("Unknown console command %s; :help lists them.\n", word)
	case strings.HasPrefix(line, "/"):
		c.run(ctx, "", c.Handler.Command(ctx, commands.Request{
			Command: word, Text: rest, User: c.user, Channel: consoleChannel, TriggerID: "console", Respond: c,
		}))
	case isNumber(line):
		c.press(ctx, line)
	default:
		c.reply(ctx, line)
	}
	return false
}

func isNumber(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}

func (c *Console) switchUser(user string) {
	if user == "" {
		c.printf("Say who: :as U0SYSADMIN\n")
		return
	}
	c.user = user
	who := user
	if c.Describe != nil {
		who = c.Describe(user)
	}
	c.printf("You are now %s.\n", who)
}

func (c *Console) chooseThread(n string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i, err := strconv.Atoi(n)
	if err != nil || i < 1 || i > len(c.messages) {
		fmt.Fprintf(c.out, "There is no message %s.\n", n)
		return
	}
	c.thread.ThreadTS = c.messages[i-1]
	fmt.Fprintf(c.out, "Replies now go to the thread of message %d.\n", i)
}

func (c *Console) press(ctx context.Context, n string) {
	i, _ := strconv.Atoi(n)
	c.mu.Lock()
	if i < 1 || i > len(c.buttons) {
		c.mu.Unlock()
		c.printf("There is no button %d.\n", i)
		return
	}
	p := c.buttons[i-1]
	c.mu.Unlock()
	c.run(ctx, "", c.Handler.Press(ctx, commands.Action{
		ID: p.button.ID, Value: p.button.Value, User: c.user, Channel: p.channel,
		MessageTS: p.ts, ThreadTS: p.thread, TriggerID: "console", Respond: c,
	}))
}

func (c *Console) reply(ctx context.Context, text string) {
	c.mu.Lock()
	thread := c.thread
	c.seq++
	ts := c.ts()
	c.mu.Unlock()
	if thread.ThreadTS == "" {
		c.printf("Not in a thread yet: report a fault first, or pick one with :thread N.\n")
		return
	}
	err := c.Handler.ThreadReply(ctx, commands.ThreadReply{
		Channel: thread.Channel, ThreadTS: thread.ThreadTS, TS: ts, User: c.user, Text: text,
	})
	if err != nil {
		c.printf("Could not record the reply: %v\n", err)
	}
}

// run shows a response and does its work right away, so the console's
// output follows the order things happen in.
func (c *Console) run(ctx context.Context, _ string, resp commands.Response) {
	if resp.Modal != nil {
		resp = c.fill(ctx, *resp.Modal)
	}
	if resp.Reply != nil {
		c.show(*resp.Reply, "", "")
	}
	if resp.Work != nil {
		if err := resp.Work(ctx); err != nil {
			ref := commands.NewRef()
			c.show(c.Handler.Apology(ref), "", "")
			c.printf("(error %s: %v)\n", ref, err)
		}
	}
}

// fill asks for a modal's inputs one by one and submits them. Problems
// are shown and the form is asked again, as a Slack modal stays open;
// ":cancel" (or the end of input) closes it without submitting.
func (c *Console) fill(ctx context.Context, md commands.Modal) commands.Response {
	for {
		c.printf("── form: %s (:cancel to close) ──\n", md.Title)
		values := map[string]string{}
		for _, in := range md.Inputs {
			v, ok := c.askInput(in)
			if !ok || v == ":cancel" {
				c.printf("Form closed; nothing was sent.\n")
				return commands.Response{}
			}
			values[in.ID] = v
		}
		resp := c.Handler.Submit(ctx, commands.Submission{CallbackID: md.CallbackID, User: c.user, Values: values, Metadata: consoleChannel})
		if len(resp.Errors) == 0 {
			return resp
		}
		for _, in := range md.Inputs {
			if problem, bad := resp.Errors[in.ID]; bad {
				c.printf("! %s: %s\n", in.Label, PlainText(problem))
			}
		}
	}
}

func (c *Console) askInput(in commands.Input) (string, bool) {
	label := in.Label
	if in.Hint != "" {
		label += " (" + in.Hint + ")"
	}
	if len(in.Options) > 0 {
		names := make([]string, len(in.Options))
		for i, o := range in.Options {
			names[i] = fmt.Sprintf("%d) %s", i+1, o.Label)
		}
		label += ": " + strings.Join(names, "  ")
	}
	if in.Optional {
		label += " [Enter to skip]"
	}
	c.printf("%s\n", label)
	v, ok := c.readLine("  > ")
	if i, err := strconv.Atoi(v); err == nil && len(in.Options) > 0 && i >= 1 && i <= len(in.Options) {
		v = in.Options[i-1].Value
	}
	return v, ok
}

// Post implements commands.Poster: the message is printed, and a new
// ticket's message becomes the thread replies go to.
func (c *Console) Post(_ context.Context, m commands.Message) (string, error) {
	c.mu.Lock()
	c.seq++
	ts := c.ts()
	n := 0
	if !m.Ephemeral {
		c.messages = append(c.messages, ts)
		n = len(c.messages)
		if m.ThreadTS == "" {
			c.thread = commands.Message{Channel: m.Channel, ThreadTS: ts}
		}
	}
	c.mu.Unlock()
	c.show(m, ts, c.heading(m, n, "posted"))
	return ts, nil
}

// Update implements commands.Poster.
func (c *Console) Update(_ context.Context, channel, ts string, m commands.Message) error {
	m.Channel = channel
	c.show(m, ts, c.heading(m, c.number(ts), "updated"))
	return nil
}

// Respond implements commands.Responder.
func (c *Console) Respond(_ context.Context, m commands.Message) error {
	c.show(m, "", "")
	return nil
}

func (c *Console) ts() string {
	return fmt.Sprintf("%d.%06d", c.Now().Unix(), c.seq)
}

func (c *Console) number(ts string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, t := range c.messages {
		if t == ts {
			return i + 1
		}
	}
	return 0
}

func (c *Console) heading(m commands.Message, n int, verb string) string {
	if m.Ephemeral {
		return ""
	}
	where := c.channelName(m.Channel)
	if m.ThreadTS != "" {
		where += fmt.Sprintf(" · thread of message %d", c.number(m.ThreadTS))
	}
	return fmt.Sprintf("── %s · Faultline %s message %d ──", where, verb, n)
}

func (c *Console) channelName(id string) string {
	if name, ok := c.Channels[id]; ok {
		return "#" + name
	}
	return "#" + id
}

// show prints a message as text and numbers its buttons.
func (c *Console) show(m commands.Message, ts, heading string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if heading == "" {
		heading = "── only you can see this ──"
	}
	var b strings.Builder
	b.WriteString(heading + "\n")
	if m.Text != "" {
		b.WriteString(indent(PlainText(m.Text)) + "\n")
	}
	if len(m.Fields) > 0 {
		parts := make([]string, len(m.Fields))
		for i, f := range m.Fields {
			parts[i] = PlainText(f.Label) + ": " + PlainText(f.Value)
		}
		b.WriteString(indent(strings.Join(parts, " · ")) + "\n")
	}
	if m.Context != "" {
		b.WriteString(indent("("+PlainText(m.Context)+")") + "\n")
	}
	for _, btn := range m.Buttons {
		c.buttons = append(c.buttons, pressable{button: btn, channel: m.Channel, ts: ts, thread: m.ThreadTS})
		fmt.Fprintf(&b, "  [%d] %s\n", len(c.buttons), btn.Label)
	}
	fmt.Fprint(c.out, b.String())
}

func (c *Console) printf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	fmt.Fprintf(c.out, format, args...)
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}

var (
	markup    = regexp.MustCompile(`<([@#!])([^>|]+)(?:\|([^>]*))?>|<([^>|]+)\|([^>]*)>|<([^>|]+)>`)
	codeFence = regexp.MustCompile("(?m)^```\n?|\n?```$")
	bold      = regexp.MustCompile(`\*([^*\n]+)\*`)
)

// PlainText turns mrkdwn into terminal text: mentions and channel links
// become @U123 and #C123, links "label (url)", code fences and bold
// asterisks go, and the escaped &, < and > show as themselves.
func PlainText(s string) string {
	s = codeFence.ReplaceAllString(s, "")
	s = bold.ReplaceAllString(s, "$1")
	s = markup.ReplaceAllStringFunc(s, func(m string) string {
		p := markup.FindStringSubmatch(m)
		switch {
		case p[1] == "@" || p[1] == "#":
			return p[1] + p[2]
		case p[1] == "!":
			return "@" + p[2]
		case p[4] != "":
			return p[5] + " (" + p[4] + ")"
		}
		return p[6]
	})
	return faultline.Unescape(s)
}
