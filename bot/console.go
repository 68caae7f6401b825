package bot

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/catalog"
	"github.com/faultline/faultline/commands"
)

// Console is the chat in a terminal: you type slash commands and thread
// replies as a chosen user, read the bot's messages as text, and press
// buttons by number. It runs the same flows as Slack, and is also their
// Poster and Responder, so what the bot would post shows up here.
type Console struct {
	Handler  ConsoleHandler
	Channels map[string]string // channel ID → name shown
	Follow   map[string]bool   // channels whose new messages (tickets, incidents) become the thread replies go to
	Describe func(user string) string
	// People lists who the config names, one "U0X (role)" each, for :who
	// and an :as that names nobody the config knows.
	People func() []string
	// Extra are further ":" commands, by name (":break"): each gets the
	// rest of the line and returns what to print.
	Extra map[string]func(arg string) string
	Echo  bool // repeat each input line, for transcripts of piped input
	Now   func() time.Time
	// Cat is the language the console's own lines are in (the bot's
	// messages come in the config's language already).
	Cat catalog.Catalog

	in    *bufio.Scanner
	want  chan struct{}   // asks the reader goroutine for the next line, read only then
	lines chan string     // what it read; closed at end of input
	done  <-chan struct{} // Run's context: Ctrl-C ends a wait for a line at once
	out   io.Writer
	user  string

	mu       sync.Mutex
	waiting  string          // the prompt on screen while a line is awaited
	held     strings.Builder // what arrived meanwhile, shown after the line
	quitting bool            // :quit was typed in a form
	seq      int
	messages []shown // message number - 1 → where it is
	buttons  []pressable
	thread   shown // the thread replies go to
}

// shown is a message on screen: its ts, and the thread it is in, if any.
type shown struct {
	channel, ts, thread string
}

// root is the thread a reply to this message belongs to: its own, or the
// one it is in.
func (m shown) root() shown {
	if m.thread != "" {
		return shown{channel: m.channel, ts: m.thread}
	}
	return m
}

// ConsoleHandler is what the console needs from the flows: the chat, and
// running the clocks and the outbox itself, since there is no job runner.
type ConsoleHandler interface {
	Handler
	FireDue(ctx context.Context) error
	RunTasks(ctx context.Context, parallel int) (int, error)
	Flush(ctx context.Context) error
}

type pressable struct {
	button  faultline.Button
	channel string
	ts      string
	thread  string
}

// consoleChannel stands for the conversation the console user types in.
const consoleChannel = "D0CONSOLE"

// NewConsole returns a console reading in and writing out, as user.
func NewConsole(in io.Reader, out io.Writer, user string) *Console {
	return &Console{in: bufio.NewScanner(in), out: out, user: user, Now: time.Now, Cat: catalog.New(catalog.EN)}
}

// T is one of the console's own sentences, in its language.
func (c *Console) T(key string, args ...any) string { return c.Cat.T(key, args...) }

// Run reads lines until ":quit", end of input or ctx ends (Ctrl-C: at
// once, even while waiting for a line).
func (c *Console) Run(ctx context.Context) error {
	c.done = ctx.Done()
	c.want, c.lines = make(chan struct{}), make(chan string)
	go func() {
		defer close(c.lines)
		for {
			select {
			case <-c.want:
			case <-ctx.Done():
				return
			}
			if !c.in.Scan() {
				return
			}
			select {
			case c.lines <- c.in.Text():
			case <-ctx.Done():
				return
			}
		}
	}()
	if help := c.Handler.Command(ctx, commands.Request{Command: "/fault", Text: "help", User: c.user}).Reply; help != nil {
		c.printf("%s\n", c.plain(help.Text))
	}
	c.printf("%s\n", c.T("console.help"))
	for ctx.Err() == nil {
		line, ok := c.readLine(c.user + "> ")
		if !ok {
			return nil
		}
		if quit := c.dispatch(ctx, line); quit || c.quitting {
			return nil
		}
	}
	return nil
}

func (c *Console) readLine(prompt string) (string, bool) {
	c.mu.Lock()
	fmt.Fprint(c.out, prompt)
	c.waiting = prompt
	c.mu.Unlock()
	var text string
	ok := false
	select {
	case c.want <- struct{}{}:
		select {
		case text, ok = <-c.lines:
		case <-c.done:
		}
	case <-c.lines: // the reader is gone: end of input
	case <-c.done:
	}
	c.mu.Lock()
	c.waiting = ""
	line := strings.TrimSpace(text)
	switch {
	case !ok:
		fmt.Fprint(c.out, "\n")
	case c.Echo:
		fmt.Fprintf(c.out, "%s\n", line)
	}
	c.release()
	c.mu.Unlock()
	return line, ok
}

func (c *Console) dispatch(ctx context.Context, line string) (quit bool) {
	word, rest, _ := strings.Cut(line, " ")
	rest = strings.TrimSpace(rest)
	switch {
	case line == "": // Enter alone shows what came due meanwhile
		c.settle(ctx)
	case line == ":quit" || line == ":q" || line == "exit":
		return true
	case line == ":help":
		c.printf("%s\n", c.T("console.help"))
	case word == ":as":
		c.switchUser(rest)
	case line == ":who":
		c.listPeople()
	case word == ":thread":
		c.chooseThread(rest)
	case c.Extra[word] != nil:
		c.printf("%s\n", c.Extra[word](rest))
	case strings.HasPrefix(line, ":"):
		c.printf("%s\n", c.T("console.unknown", word))
	case strings.HasPrefix(line, "/"):
		c.run(ctx, "", c.Handler.Command(ctx, commands.Request{
			Command: word, Text: rest, User: c.user, Channel: consoleChannel, Respond: c,
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
	user, _, _ = strings.Cut(strings.ToUpper(strings.TrimSpace(user)), " ") // Slack IDs are one word, upper case
	if user == "" {
		c.printf("%s\n", c.T("console.as_usage"))
		c.listPeople()
		return
	}
	c.user = user
	who := user
	if c.Describe != nil {
		who = c.Describe(user)
	}
	c.printf("%s\n", c.T("console.you_are", who))
	if c.People != nil && !slices.ContainsFunc(c.People(), func(p string) bool { return strings.HasPrefix(p, user+" ") }) {
		c.printf("%s\n", c.T("console.as_unknown", user))
	}
}

// listPeople prints who the config names, with their roles.
func (c *Console) listPeople() {
	if c.People == nil || len(c.People()) == 0 {
		c.printf("%s\n", c.T("console.nobody"))
		return
	}
	for _, p := range c.People() {
		c.printf("  %s\n", p)
	}
}

func (c *Console) chooseThread(n string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i, err := strconv.Atoi(n)
	switch {
	case len(c.messages) == 0:
		fmt.Fprintf(c.out, "%s\n", c.T("console.no_thread"))
		return
	case err != nil || i < 1 || i > len(c.messages):
		fmt.Fprintf(c.out, "%s\n", c.T("console.thread_usage", len(c.messages)))
		return
	}
	c.thread = c.messages[i-1].root()
	fmt.Fprintf(c.out, "%s\n", c.T("console.thread_now", c.indexOf(c.thread.ts)))
}

func (c *Console) press(ctx context.Context, n string) {
	i, _ := strconv.Atoi(n)
	c.mu.Lock()
	if i < 1 || i > len(c.buttons) {
		c.mu.Unlock()
		c.printf("%s\n", c.T("console.no_button", i))
		return
	}
	p := c.buttons[i-1]
	c.mu.Unlock()
	c.run(ctx, "", c.Handler.Press(ctx, commands.Action{
		ID: p.button.ID, Value: p.button.Value, User: c.user, Channel: p.channel,
		MessageTS: p.ts, ThreadTS: p.thread, Respond: c,
	}))
}

func (c *Console) reply(ctx context.Context, text string) {
	c.mu.Lock()
	thread := c.thread
	c.seq++
	ts := c.ts()
	c.mu.Unlock()
	if thread.ts == "" {
		c.printf("%s\n", c.T("console.no_thread"))
		return
	}
	err := c.Handler.ThreadReply(ctx, commands.ThreadReply{
		Channel: thread.channel, ThreadTS: thread.ts, TS: ts, User: c.user, Text: text,
	})
	if err != nil {
		c.printf("%s\n", c.T("console.reply_failed", err))
		return
	}
	c.printf("%s\n", c.T("console.in_thread", c.number(thread.ts)))
	c.settle(ctx)
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
			c.printf("%s\n", c.T("console.error", ref, err))
		}
	}
	c.settle(ctx)
}

// settle runs what is due and shows what the bot has to say, so the
// console's output follows the order things happen in.
func (c *Console) settle(ctx context.Context) {
	if err := c.Handler.FireDue(ctx); err != nil {
		c.printf("%s\n", c.T("console.error", "clocks", err))
	}
	if _, err := c.Handler.RunTasks(ctx, 1); err != nil {
		c.printf("%s\n", c.T("console.error", "checks", err))
	}
	if err := c.Handler.Flush(ctx); err != nil {
		c.printf("%s\n", c.T("console.error", "outbox", err))
	}
}

// Tick runs the clocks and the outbox every interval until ctx ends, so
// escalations show up while you wait.
func (c *Console) Tick(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			c.settle(ctx)
		}
	}
}
