package metrics_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/metrics"
	"github.com/faultline/faultline/storage"
	"github.com/faultline/faultline/storage/storagetest"
)

// What the flows record shows in the series, as the flows record it.
func TestFlows(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := metrics.NewFlows(reg)
	m.Taken(5 * time.Minute)
	m.Closed(3 * time.Hour)
	m.Escalated(1, faultline.RoleITSupervisor)
	m.Escalated(1, faultline.RoleITSupervisor)
	m.Delivered(true)
	m.Delivered(false)
	m.IncidentStep(faultline.IncReport, 40*time.Minute)
	want := `
# HELP faultline_fault_escalations_total Escalations by level reached (1 = the chain's second role) and role.
# TYPE faultline_fault_escalations_total counter
faultline_fault_escalations_total{level="1",role="it_supervisor"} 2
# HELP faultline_outbox_deliveries_total Outbox send attempts by result (sent, failed: retried or given up).
# TYPE faultline_outbox_deliveries_total counter
faultline_outbox_deliveries_total{result="failed"} 1
faultline_outbox_deliveries_total{result="sent"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "faultline_fault_escalations_total", "faultline_outbox_deliveries_total"); err != nil {
		t.Fatal(err)
	}
	for name, n := range map[string]int{"faultline_fault_time_to_take_seconds": 1, "faultline_fault_time_to_close_seconds": 1, "faultline_incident_time_to_seconds": 1} {
		if got, err := testutil.GatherAndCount(reg, name); err != nil || got != n {
			t.Errorf("%s: %d series, %v", name, got, err)
		}
	}
}

// The gauges read the database at scrape time.
func TestGauges(t *testing.T) {
	storagetest.Run(t, func(t *testing.T, db *storage.DB) {
		ctx := context.Background()
		now := time.Now()
		for range 2 {
			f := faultline.Fault{Target: "x", Description: "x", Reporter: "U1", State: faultline.FaultOpen, CreatedAt: now}
			out := []faultline.Outgoing{{Kind: faultline.OutHead, Message: faultline.Message{Channel: "C0FAULTS"}}}
			if _, err := db.CreateFault(ctx, f, faultline.Change{Out: out}); err != nil {
				t.Fatal(err)
			}
		}
		late := faultline.Incident{Description: "x", Reporter: "U1", State: faultline.IncOpen, CreatedAt: now.Add(-2 * time.Hour)}
		if _, err := db.CreateIncident(ctx, late, faultline.Change{}); err != nil {
			t.Fatal(err)
		}
		reg := prometheus.NewRegistry()
		reg.MustRegister(metrics.Gauges{Store: db, ReportWithin: time.Hour, Log: storagetest.Logger()})
		want := `
# HELP faultline_faults Fault tickets by state.
# TYPE faultline_faults gauge
faultline_faults{state="closed"} 0
faultline_faults{state="confirmed"} 0
faultline_faults{state="escalated"} 0
faultline_faults{state="open"} 2
faultline_faults{state="restart_pending"} 0
faultline_faults{state="taken"} 0
faultline_faults{state="verifying"} 0
faultline_faults{state="waiting_vendor"} 0
# HELP faultline_gauges_error 1 when the database could not be read for these gauges.
# TYPE faultline_gauges_error gauge
faultline_gauges_error 0
# HELP faultline_incident_reports_overdue Incidents whose report is past incident_report and not filed.
# TYPE faultline_incident_reports_overdue gauge
faultline_incident_reports_overdue 1
# HELP faultline_outbox_pending Messages waiting in the outbox.
# TYPE faultline_outbox_pending gauge
faultline_outbox_pending 2
`
		if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "faultline_faults", "faultline_gauges_error",
			"faultline_incident_reports_overdue", "faultline_outbox_pending"); err != nil {
			t.Fatal(err)
		}
	})
}
