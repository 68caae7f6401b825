// Package metrics exports what the flows measure and what the database
// holds to Prometheus: time to take and close tickets, escalations,
// deliveries and incident steps as they happen, and the open tickets,
// outbox depth and overdue reports as gauges read at scrape time, so every
// process reports the same truth.
package metrics

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/faultline/faultline"
)

// Flows records the procedures' measurements; it implements
// commands.Recorder.
type Flows struct {
	taken     prometheus.Histogram
	closed    prometheus.Histogram
	escalated *prometheus.CounterVec
	delivered *prometheus.CounterVec
	incident  *prometheus.HistogramVec
}

// ticketBuckets span a minute to three days.
var ticketBuckets = []float64{60, 300, 900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 24 * 3600, 72 * 3600}

// NewFlows registers the procedure's series with reg.
func NewFlows(reg prometheus.Registerer) *Flows {
	m := &Flows{
		taken: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "faultline_fault_time_to_take_seconds", Help: "From report to a technician taking the ticket.", Buckets: ticketBuckets,
		}),
		closed: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "faultline_fault_time_to_close_seconds", Help: "From report to closing with a resolution.", Buckets: ticketBuckets,
		}),
		escalated: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "faultline_fault_escalations_total", Help: "Escalations by level reached (1 = the chain's second role) and role.",
		}, []string{"level", "role"}),
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "faultline_outbox_deliveries_total", Help: "Outbox send attempts by result (sent, failed: retried or given up).",
		}, []string{"result"}),
	}
	m.incident = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "faultline_incident_time_to_seconds", Help: "From declaration to the first report, the first classification, and closing.",
		Buckets: []float64{60, 300, 900, 1800, 3600, 2 * 3600, 4 * 3600, 24 * 3600, 72 * 3600},
	}, []string{"step"})
	reg.MustRegister(m.taken, m.closed, m.escalated, m.delivered, m.incident)
	return m
}

// IncidentStep implements commands.Recorder.
func (m *Flows) IncidentStep(action faultline.IncidentAction, after time.Duration) {
	m.incident.WithLabelValues(string(action)).Observe(after.Seconds())
}

// Taken implements commands.Recorder.
func (m *Flows) Taken(after time.Duration) { m.taken.Observe(after.Seconds()) }

// Closed implements commands.Recorder.
func (m *Flows) Closed(after time.Duration) { m.closed.Observe(after.Seconds()) }

// Escalated implements commands.Recorder.
func (m *Flows) Escalated(level int, role faultline.Role) {
	m.escalated.WithLabelValues(strconv.Itoa(level), string(role)).Inc()
}

// Delivered implements commands.Recorder.
func (m *Flows) Delivered(ok bool) {
	result := "failed"
	if ok {
		result = "sent"
	}
	m.delivered.WithLabelValues(result).Inc()
}

// Gauges reads levels from the database when Prometheus scrapes: open
// tickets by state and the outbox's depth, so every process reports the
// same truth.
type Gauges struct {
	Store interface {
		CountFaults(ctx context.Context) (map[faultline.FaultState]int64, error)
		OutboxDepth(ctx context.Context) (pending, failed int64, err error)
		IncidentGauges(ctx context.Context, now time.Time, reportWithin time.Duration) (reportsOverdue, summariesOwed int64, err error)
	}
	ReportWithin time.Duration // incident_report
	Log          *slog.Logger
	// Sites, when set, gives each configured site's state (working,
	// outage, tickets, maintenance), for a gauge per site.
	Sites func(ctx context.Context) (map[string]string, error)
}

// SiteStates are the values faultline_site_state takes.
var SiteStates = []string{"working", "tickets", "outage", "maintenance"}

var (
	faultsDesc  = prometheus.NewDesc("faultline_faults", "Fault tickets by state.", []string{"state"}, nil)
	outboxDesc  = prometheus.NewDesc("faultline_outbox_pending", "Messages waiting in the outbox.", nil, nil)
	failedDesc  = prometheus.NewDesc("faultline_outbox_failed", "Messages Slack refused for good, kept with the reason.", nil, nil)
	scrapeError = prometheus.NewDesc("faultline_gauges_error", "1 when the database could not be read for these gauges.", nil, nil)
	overdueDesc = prometheus.NewDesc("faultline_incident_reports_overdue", "Incidents whose report is past incident_report and not filed.", nil, nil)
	owedDesc    = prometheus.NewDesc("faultline_incident_summaries_outstanding", "Closed incidents whose summary report is not filed.", nil, nil)
	siteDesc    = prometheus.NewDesc("faultline_site_state", "1 for the state each site is in (working, tickets, outage, maintenance), 0 for the others.", []string{"site", "state"}, nil)
)

// Describe implements prometheus.Collector.
func (g Gauges) Describe(ch chan<- *prometheus.Desc) {
	ch <- faultsDesc
	ch <- outboxDesc
	ch <- failedDesc
	ch <- scrapeError
	ch <- overdueDesc
	ch <- owedDesc
	ch <- siteDesc
}

// Collect implements prometheus.Collector.
func (g Gauges) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	counts, err1 := g.Store.CountFaults(ctx)
	pending, failed, err2 := g.Store.OutboxDepth(ctx)
	overdue, owed, err3 := g.Store.IncidentGauges(ctx, time.Now(), g.ReportWithin)
	var sites map[string]string
	var err4 error
	if g.Sites != nil {
		sites, err4 = g.Sites(ctx)
	}
	if err := errors.Join(err1, err2, err3, err4); err != nil {
		g.Log.WarnContext(ctx, "metrics gauges", "err", err)
		ch <- prometheus.MustNewConstMetric(scrapeError, prometheus.GaugeValue, 1)
		return
	}
	ch <- prometheus.MustNewConstMetric(scrapeError, prometheus.GaugeValue, 0)
	for _, st := range faultline.FaultStates {
		ch <- prometheus.MustNewConstMetric(faultsDesc, prometheus.GaugeValue, float64(counts[st]), string(st))
	}
	ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, float64(pending))
	ch <- prometheus.MustNewConstMetric(failedDesc, prometheus.GaugeValue, float64(failed))
	ch <- prometheus.MustNewConstMetric(overdueDesc, prometheus.GaugeValue, float64(overdue))
	ch <- prometheus.MustNewConstMetric(owedDesc, prometheus.GaugeValue, float64(owed))
	for site, state := range sites {
		for _, s := range SiteStates {
			v := 0.0
			if s == state {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(siteDesc, prometheus.GaugeValue, v, site, s)
		}
	}
}
