package faultline

import "time"

// Week is what happened in one week, for the department head's digest.
type Week struct {
	From, To            time.Time
	Faults              []Fault // opened or closed in the week
	FaultEscalations    int
	IncidentEscalations int
	Incidents           []Incident // declared in the week
	Occurrences         []Occurrence
}
