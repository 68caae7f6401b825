package bot

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the transport's Prometheus series.
type Metrics struct {
	requests   *prometheus.CounterVec
	handling   *prometheus.HistogramVec
	workFailed prometheus.Counter
}

// NewMetrics registers the transport's series with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "faultline_http_requests_total",
			Help: "HTTP requests by endpoint and status code.",
		}, []string{"endpoint", "code"}),
		handling: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "faultline_handling_seconds",
			Help:    "Time from receiving a Slack request to acknowledging it, by kind (command, interaction, event).",
			Buckets: []float64{.001, .0025, .005, .01, .02, .05, .1, .25, .5, 1, 2.5},
		}, []string{"kind"}),
		workFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "faultline_background_work_failures_total",
			Help: "Background work (posts, path checks after an ack) that ended in an error.",
		}),
	}
	reg.MustRegister(m.requests, m.handling, m.workFailed)
	return m
}

// WorkFailed counts one failed piece of background work.
func (m *Metrics) WorkFailed() { m.workFailed.Inc() }
