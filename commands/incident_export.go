package commands

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/markup"
)

// IncidentMarkdown is incident n's archive record (记录事故档案) as Markdown:
// what was declared, the report, the classification and notice, every
// step on the timeline, the closing, the summary and its follow-ups. Text
// is as people wrote it; Chinese stays as it is.
func (s *Service) IncidentMarkdown(ctx context.Context, n int64) (string, error) {
	i, err := s.incidents.store.Incident(ctx, n)
	if err != nil {
		return "", err
	}
	return s.incidents.markdown(ctx, i)
}

func (f *incidentFlow) markdown(ctx context.Context, i faultline.Incident) (string, error) {
	events, err := f.store.IncidentEvents(ctx, i.ID)
	if err != nil {
		return "", err
	}
	followUps, err := f.store.FollowUps(ctx, i.ID)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	f.mdHeader(&b, i)
	f.mdReport(&b, i)
	f.mdOutside(&b, i, events)
	f.mdTimeline(&b, events)
	f.mdClosing(&b, i, followUps)
	return strings.TrimRight(b.String(), "\n") + "\n", nil
}

func (f *incidentFlow) mdHeader(b *strings.Builder, i faultline.Incident) {
	t := f.cat.T
	fmt.Fprintf(b, "# %s %s\n\n", i.Ref(), t("md.title"))
	rows := [][2]string{
		{mdGradeLabel(t, i), f.mdSeverity(i)}, {t("md.state"), f.stateName(string(i.State))},
		{t("md.reporter"), i.Reporter}, {t("md.declared"), f.fmtTime(i.CreatedAt)},
		{t("md.handler"), orDash(i.Owner)}, {t("md.systems"), orDash(i.Systems)}, {t("md.noticed"), orDash(i.NoticedHow)},
	}
	for _, r := range rows {
		fmt.Fprintf(b, "- **%s:** %s\n", r[0], r[1])
	}
	fmt.Fprintf(b, "\n## %s\n\n%s\n\n", t("md.description"), i.Description)
}

func (f *incidentFlow) mdSeverity(i faultline.Incident) string {
	if i.Severity == "" {
		return f.cat.T("sev.none")
	}
	sev := markup.Plain(f.severityName(i.Severity))
	if i.ClassifiedAt.IsZero() {
		return markup.Plain(f.cat.T("sev.unconfirmed", sev))
	}
	if i.Level != "" {
		sev = markup.Plain(f.cat.T("sev.national", levelName(f.cat, i.Level), sev))
		if i.Category != "" {
			sev = i.Category + " · " + sev
		}
	}
	return fmt.Sprintf("%s (%s, %s)", sev, i.ClassifiedBy, f.fmtTime(i.ClassifiedAt))
}

func (f *incidentFlow) mdReport(b *strings.Builder, i faultline.Incident) {
	t := f.cat.T
	fmt.Fprintf(b, "## %s\n\n", t("md.report"))
	if i.ReportedAt.IsZero() {
		fmt.Fprintf(b, "%s\n\n", t("md.report_missing"))
		return
	}
	fmt.Fprintf(b, "%s\n\n", t("md.report_filed", f.fmtTime(i.ReportedAt), f.plainDuration(i.ReportedAt.Sub(i.CreatedAt))))
	rows := [][2]string{{t("inc.field.what"), i.Report.What}, {t("inc.field.actions"), i.Report.Actions},
		{t("inc.field.impact"), orDash(i.Report.Impact)}, {t("inc.field.status"), orDash(i.Report.Status)}}
	for _, r := range [][2]string{{t("inc.field.preliminary_cause"), i.Report.Cause}, {t("inc.field.pending"), i.Report.Pending},
		{t("inc.field.help"), i.Report.Help}} {
		if r[1] != "" {
			rows = append(rows, r)
		}
	}
	for _, r := range rows {
		fmt.Fprintf(b, "- **%s:** %s\n", r[0], r[1])
	}
	b.WriteString("\n")
	if i.Notice != faultline.NoticeNone {
		fmt.Fprintf(b, "## %s\n\n%s (%s)\n\n> %s\n\n", t("md.notice"), t(noticeKeys[i.Notice]), orDash(i.NoticeBy), i.NoticeText)
	}
}

// mdOutside is the outside report's part of the archive: its deadline,
// when it was made, and every report and supplement.
func (f *incidentFlow) mdOutside(b *strings.Builder, i faultline.Incident, events []faultline.Event) {
	due, owed := f.outsideDue(i)
	reports := outsideReports(events)
	if !owed && len(reports) == 0 {
		return
	}
	t := f.cat.T
	fmt.Fprintf(b, "## %s\n\n", t("xr.made"))
	if owed {
		fmt.Fprintf(b, "%s\n\n", t("xr.due", f.set.Compliance.Authority, f.fmtTime(due)))
		if !i.ExternalAt.IsZero() {
			late := i.Outside.At.Sub(due)
			if late > 0 {
				fmt.Fprintf(b, "%s\n\n", t("xr.late", f.plainDuration(late)))
			} else {
				fmt.Fprintf(b, "%s\n\n", t("xr.in_time", f.plainDuration(-late)))
			}
		}
	}
	for _, o := range reports {
		fmt.Fprintf(b, "- %s\n", f.outsideLine(o))
	}
	b.WriteString("\n")
}

func (f *incidentFlow) mdTimeline(b *strings.Builder, events []faultline.Event) {
	t := f.cat.T
	fmt.Fprintf(b, "## %s\n\n| %s | %s | %s |\n|---|---|---|\n", t("md.timeline"), t("md.when"), t("md.who"), t("md.what"))
	for _, ev := range events {
		what := t(mdEventKeys[ev.Kind], ev.Text)
		if ev.Kind == faultline.EventState {
			what = f.mdStep(ev.Text)
			switch {
			case ev.Text == string(faultline.IncClassify):
				sev, national, _ := strings.Cut(ev.Data, " ")
				what += ": " + markup.Plain(f.severityName(faultline.Severity(sev)))
				if level, category, ok := strings.Cut(national, " "); ok {
					what += " · " + markup.Plain(levelName(f.cat, faultline.Level(level))) + " · " + category
				}
			case ev.Text == string(faultline.IncExternal) || ev.Text == string(faultline.IncSupplement):
				if o := outsideReports([]faultline.Event{ev}); len(o) == 1 {
					what += ": " + f.outsideLine(o[0])
				}
			case ev.Data != "":
				what += ": " + ev.Data
			}
		}
		fmt.Fprintf(b, "| %s | %s | %s |\n", f.fmtTime(ev.At), ev.Actor, mdCell(what))
	}
	b.WriteString("\n")
}

func (f *incidentFlow) mdClosing(b *strings.Builder, i faultline.Incident, followUps []faultline.FollowUp) {
	t := f.cat.T
	if i.ClosedAt.IsZero() {
		return
	}
	fmt.Fprintf(b, "## %s\n\n- **%s:** %s\n- **%s:** %s\n- **%s:** %s\n\n", t("md.closing"),
		t("inc.field.cause"), i.Cause, t("inc.field.measures"), i.Measures, t("md.summary_owner"), i.SummaryOwner)
	if i.SummaryAt.IsZero() {
		return
	}
	fmt.Fprintf(b, "## %s\n\n- **%s:** %s\n- **%s:** %s\n- **%s:** %s\n\n", t("md.summary"),
		t("inc.field.cause"), i.Summary.Cause, t("inc.field.responsibility"), i.Summary.Responsibility,
		t("inc.field.lessons"), i.Summary.Lessons)
	if len(followUps) == 0 {
		return
	}
	fmt.Fprintf(b, "## %s\n\n| %s | %s | %s | %s |\n|---|---|---|---|\n", t("md.followups"), t("md.what"), t("md.who"), t("md.due"), t("md.done"))
	for _, fu := range followUps {
		done := "—"
		if !fu.DoneAt.IsZero() {
			done = fu.DoneBy + ", " + f.fmtTime(fu.DoneAt)
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s |\n", mdCell(fu.Text), fu.Owner, f.fmtDate(fu.Due), done)
	}
	b.WriteString("\n")
}

// mdEventKeys say what a timeline entry that is not a step was.
var mdEventKeys = map[faultline.EventKind]string{
	faultline.EventCreated: "md.event.created", faultline.EventReply: "md.event.reply", faultline.EventEscalation: "md.event.escalation",
}

// mdStep names a step on the timeline; a follow-up marked done is one too.
func (f *incidentFlow) mdStep(name string) string {
	if name == "followup_done" {
		return f.cat.T("istep.followup_done")
	}
	return markup.Plain(f.stepName(name))
}

// mdCell keeps a table cell on one line and its pipes literal.
func mdCell(s string) string {
	return strings.ReplaceAll(strings.Join(strings.Fields(s), " "), "|", `\|`)
}

// csvHeader names the columns of the period export, in English so that
// spreadsheets and scripts can rely on them whatever the language.
var csvHeader = []string{"incident", "declared_at", "severity", "classified_at", "state", "reporter", "handler",
	"description", "systems", "report_filed_at", "minutes_to_report", "notice", "closed_at", "cause", "measures",
	"summary_filed_at", "followups", "followups_done", "level", "category", "outside_due_at", "outside_reported_at",
	"outside_reference", "supplements"}

// IncidentsCSV writes the incidents declared in [from, to) as CSV, one row
// each, times in the configured time zone.
func (s *Service) IncidentsCSV(ctx context.Context, from, to time.Time, w io.Writer) error {
	return s.incidents.csv(ctx, from, to, w)
}

func (f *incidentFlow) csv(ctx context.Context, from, to time.Time, w io.Writer) error {
	list, err := f.store.IncidentsBetween(ctx, from, to)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, i := range list {
		followUps, err := f.store.FollowUps(ctx, i.ID)
		if err != nil {
			return err
		}
		if err := cw.Write(f.csvRow(i, followUps)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func (f *incidentFlow) csvRow(i faultline.Incident, followUps []faultline.FollowUp) []string {
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(f.set.Location).Format(time.RFC3339)
	}
	minutes := ""
	if !i.ReportedAt.IsZero() {
		minutes = strconv.Itoa(int(i.ReportedAt.Sub(i.CreatedAt).Minutes()))
	}
	outsideDue, _ := f.outsideDue(i)
	done := 0
	for _, fu := range followUps {
		if !fu.DoneAt.IsZero() {
			done++
		}
	}
	return []string{i.Ref(), stamp(i.CreatedAt), string(i.Severity), stamp(i.ClassifiedAt), string(i.State), i.Reporter,
		i.Owner, i.Description, i.Systems, stamp(i.ReportedAt), minutes, string(i.Notice), stamp(i.ClosedAt), i.Cause,
		i.Measures, stamp(i.SummaryAt), strconv.Itoa(len(followUps)), strconv.Itoa(done),
		string(f.set.Compliance.levelOf(i)), i.Category, stamp(outsideDue), stamp(i.Outside.At), i.Outside.Reference, strconv.Itoa(i.Supplements)}
}

// mdGradeLabel names the archive's grade row: the national level's, or the
// procedure's severity.
func mdGradeLabel(t func(string, ...any) string, i faultline.Incident) string {
	if i.Level != "" {
		return t("inc.field.grade")
	}
	return t("md.severity")
}
