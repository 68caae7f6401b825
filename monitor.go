package faultline

import (
	"strings"
	"time"
)

// MonitorState is what a path monitor remembers between checks of a
// site: the hop failing now and for how many checks in a row, the recent
// outcomes (to tell a flapping hop), and the ticket of the outage, if one
// is open.
type MonitorState struct {
	Site        string
	Failing     string // the first failing hop's name; "" when the path answers
	Consecutive int    // checks in a row that Failing failed
	History     string // recent outcomes, oldest first: 'U' up, 'D' down
	FaultID     int64  // the outage's ticket
	Flapping    bool
	LastCheck   time.Time
	Version     int
}

// MonitorAction is what a check calls for.
type MonitorAction string

// Monitor actions.
const (
	MonNothing   MonitorAction = ""
	MonOpen      MonitorAction = "open"      // open one ticket for the outage
	MonRecovered MonitorAction = "recovered" // post the recovery in the outage's ticket
	MonFlapping  MonitorAction = "flapping"  // say, once, that the hop flaps
)

// Monitor tuning: how many outcomes are remembered, and how many changes
// among them make a hop flapping.
const (
	historyLen       = 10
	flappingChanges  = 4
	steadyAfterCalms = 1
)

// Observe folds one check into the state. failing is the first failing
// hop's name, "" when every hop answered; threshold is the number of
// consecutive failures that opens a ticket, recoverAfter the number of
// consecutive good checks that clears it (at least 1); quiet holds ticket
// opening back (the failures still count). Hops behind the failing one are
// never reported on their own: one outage, one ticket.
func (m MonitorState) Observe(failing string, threshold, recoverAfter int, quiet bool, now time.Time) (MonitorState, MonitorAction) {
	n := m
	n.LastCheck = now
	n.History = remember(m.History, failing != "")
	changes := transitions(n.History)
	if failing == "" {
		n.Failing, n.Consecutive = "", 0
		if changes <= steadyAfterCalms {
			n.Flapping = false
		}
		if m.FaultID != 0 && !n.Flapping && goodRun(n.History) >= max(recoverAfter, 1) {
			n.FaultID = 0
			return n, MonRecovered
		}
		return n, MonNothing
	}
	if failing == m.Failing {
		n.Consecutive++
	} else {
		n.Failing, n.Consecutive = failing, 1
	}
	if changes >= flappingChanges {
		wasFlapping := m.Flapping
		n.Flapping = true
		if !wasFlapping {
			return n, MonFlapping
		}
		return n, MonNothing
	}
	if n.Consecutive >= threshold && n.FaultID == 0 && !quiet {
		return n, MonOpen
	}
	return n, MonNothing
}

func remember(history string, down bool) string {
	c := "U"
	if down {
		c = "D"
	}
	h := history + c
	if len(h) > historyLen {
		h = h[len(h)-historyLen:]
	}
	return h
}

// goodRun counts the good checks at the end of the history.
func goodRun(h string) int {
	return len(h) - len(strings.TrimRight(h, "U"))
}

func transitions(h string) int {
	n := 0
	for i := 1; i < len(h); i++ {
		if h[i] != h[i-1] {
			n++
		}
	}
	return n
}

// Downs counts the failed checks in the history.
func (m MonitorState) Downs() int { return strings.Count(m.History, "D") }
