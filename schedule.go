package faultline

import "time"

// Schedule is a named recurring job of the flows: an announcement
// ("announce:<name>"), a path monitor ("monitor:<site>") or the digest
// ("digest"), with its cron spec and when it is due next.
type Schedule struct {
	Name string
	Spec string
	Due  time.Time
}
