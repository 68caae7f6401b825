package commands

import (
	"context"

	"github.com/faultline/faultline"
)

// Request is a slash command as typed.
type Request struct {
	Command   string // "/fault"
	Text      string // everything after the command, unescaped
	User      string
	Channel   string
	TriggerID string    // new for every command; a replay repeats it
	Respond   Responder // may be nil
}

// Action is a button press.
type Action struct {
	ID        string // the button's action ID
	Value     string
	User      string
	Channel   string
	MessageTS string
	ThreadTS  string
	TriggerID string
	Respond   Responder // may be nil
}

// Submission is a submitted form.
type Submission struct {
	CallbackID string
	User       string
	Values     map[string]string // input ID → value (or chosen option value)
	Metadata   string
	TriggerID  string // new for every submission; a replay repeats it
	ViewID     string // the same for every submission of one open form
}

// ThreadReply is a message someone wrote in a thread.
type ThreadReply struct {
	Channel  string
	ThreadTS string
	TS       string
	User     string
	Text     string // unescaped
	EventID  string // Slack's delivery ID; a redelivery repeats it
}

// Response is what a handler decided. Reply, Modal and Errors are sent
// within the platform's acknowledgement deadline; Work is the slow part
// (pings, posts) that the transport runs afterwards and waits for at
// shutdown.
type Response struct {
	Reply  *faultline.Message
	Modal  *Modal
	Errors map[string]string // form input ID → problem; the form stays open
	Work   func(ctx context.Context) error
}

// Modal is a form to open for the user.
type Modal struct {
	CallbackID string
	Title      string
	Submit     string
	Metadata   string
	Intro      string // markup shown above the inputs
	Inputs     []Input
}

// InputKind says what an input takes.
type InputKind string

// Input kinds. The zero kind is text (or a picker when it has Options).
const (
	InputText InputKind = ""
	InputUser InputKind = "user" // a person: the transport offers a user picker
)

// Input is one field of a form. With Options it is a picker.
type Input struct {
	ID        string
	Label     string
	Hint      string
	Kind      InputKind
	Value     string // filled in already (a draft to edit, a report to amend)
	Optional  bool
	Multiline bool
	MaxLength int
	Options   []Option
}

// Option is a choice in a picker.
type Option struct {
	Value string
	Label string
}
