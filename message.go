package faultline

// Message is a chat message in a transport-neutral shape. Text, field
// values and Context are written in Faultline's message markup (package
// markup): user-supplied text in them has been escaped, so a renderer
// passes them through its own conversion and nothing a user typed becomes
// a mention or a link.
type Message struct {
	Channel   string
	ThreadTS  string
	User      string // recipient of an ephemeral message
	Ephemeral bool
	Text      string
	Fields    []Field
	Context   string
	Buttons   []Button
}

// Field is a labelled value shown in a grid.
type Field struct {
	Label string
	Value string
}

// Button is a button on a message; pressing it produces an action with its
// ID and Value.
type Button struct {
	ID    string
	Label string
	Value string
	Style string // "", "primary" or "danger"
}
