package probe

import (
	"errors"
	"log/slog"

	"github.com/faultline/faultline"
	"github.com/prometheus/client_golang/prometheus"
)

// Outcomes of one host's check, the values of the counter's outcome label.
const (
	outcomeUp    = "up"
	outcomeDown  = "down"
	outcomeError = "error"
)

// newResultsCounter registers the counter with reg when there is one. A
// second Prober on the same registry shares the first one's counter. Any
// other registration failure costs the metric, not the pings, so it is
// logged rather than returned.
func newResultsCounter(reg prometheus.Registerer, log *slog.Logger) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "faultline_ping_results_total",
		Help: "Hosts checked by ICMP ping, by outcome: up (answered), down (no reply), error (the check could not run).",
	}, []string{"outcome"})
	for _, o := range []string{outcomeUp, outcomeDown, outcomeError} {
		c.WithLabelValues(o) // export zeros before the first check
	}
	if reg == nil {
		return c
	}
	err := reg.Register(c)
	var dup prometheus.AlreadyRegisteredError
	if errors.As(err, &dup) {
		if existing, ok := dup.ExistingCollector.(*prometheus.CounterVec); ok {
			return existing
		}
	}
	if err != nil {
		log.Warn("register ping metrics", "err", err)
	}
	return c
}

func (p *Prober) count(results []faultline.PingResult) {
	for _, r := range results {
		p.results.WithLabelValues(outcome(r)).Inc()
	}
}

func outcome(r faultline.PingResult) string {
	switch {
	case r.Error != "":
		return outcomeError
	case r.Received > 0:
		return outcomeUp
	}
	return outcomeDown
}
