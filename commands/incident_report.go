package commands

import (
	"context"
	"fmt"
	"strings"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/markup"
)

// IncidentExternalReport is the report a handler files outside the
// company for incident n (《国家网络安全事件报告管理办法》 报告内容): the
// unit, when it happened and was found, category, level, systems
// affected, impact, measures taken, preliminary cause, what is still
// being investigated, and the help requested. Markdown for the archive and
// a plain text that pastes into a web form, one "label: value" a line.
func (s *Service) IncidentExternalReport(ctx context.Context, n int64) (markdown, plain string, err error) {
	i, err := s.incidents.store.Incident(ctx, n)
	if err != nil {
		return "", "", err
	}
	return s.incidents.externalReport(ctx, i)
}

func (f *incidentFlow) externalReport(ctx context.Context, i faultline.Incident) (string, string, error) {
	events, err := f.store.IncidentEvents(ctx, i.ID)
	if err != nil {
		return "", "", err
	}
	t := f.cat.T
	var measures []string
	if i.Report.Actions != "" {
		measures = append(measures, i.Report.Actions)
	}
	for _, e := range events {
		if e.Kind == faultline.EventState && e.Text == string(faultline.IncRemedy) && e.Data != "" {
			measures = append(measures, e.Data)
		}
	}
	if i.Measures != "" {
		measures = append(measures, i.Measures)
	}
	cause := firstOf(i.Cause, i.Report.Cause)
	pending := i.Report.Pending
	if !i.ExternalAt.IsZero() {
		pending = i.Outside.Pending
	}
	grade := markup.Plain(f.gradeName(f.cat, i))
	if i.ClassifiedAt.IsZero() {
		grade = t("sev.none")
	}
	rows := [][2]string{
		{t("xr.unit"), orDash(f.set.Compliance.Unit)},
		{t("xr.incident"), i.Ref()},
		{t("xr.declared"), f.fmtTime(i.CreatedAt)},
		{t("xr.noticed"), orDash(i.NoticedHow)},
		{t("inc.field.category"), orDash(i.Category)},
		{t("inc.field.grade"), grade},
		{t("inc.field.systems"), orDash(i.Systems)},
		{t("xr.what"), firstOf(i.Report.What, i.Description)},
		{t("inc.field.impact"), orDash(i.Report.Impact)},
		{t("xr.measures"), orDash(strings.Join(measures, "；"))},
		{t("inc.field.preliminary_cause"), orDash(cause)},
		{t("inc.field.pending"), orDash(pending)},
		{t("inc.field.help"), orDash(i.Report.Help)},
		{t("xr.contact"), orDash(firstOf(i.Owner, i.ClassifiedBy))},
	}
	var md, plain strings.Builder
	fmt.Fprintf(&md, "# %s — %s\n\n", t("xr.title"), i.Ref())
	if due, owed := f.outsideDue(i); owed {
		fmt.Fprintf(&md, "%s\n\n", t("xr.due", f.set.Compliance.Authority, f.fmtTime(due)))
	}
	md.WriteString("| | |\n|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&md, "| %s | %s |\n", r[0], mdCell(r[1]))
		fmt.Fprintf(&plain, "%s：%s\n", r[0], strings.Join(strings.Fields(r[1]), " "))
	}
	if reports := outsideReports(events); len(reports) > 0 {
		fmt.Fprintf(&md, "\n## %s\n\n", t("xr.made"))
		for _, o := range reports {
			fmt.Fprintf(&md, "- %s\n", f.outsideLine(o))
		}
	}
	return md.String(), plain.String(), nil
}

// outsideLine is one report made outside, on one plain line.
func (f *incidentFlow) outsideLine(o faultline.OutsideReport) string {
	parts := []string{f.fmtTime(o.At), o.To, markup.Plain(f.channelName(o.Channel))}
	if o.Reference != "" {
		parts = append(parts, f.cat.T("xr.ref", o.Reference))
	}
	if o.Text != "" {
		parts = append(parts, f.cat.T("xr.supplement", o.Text))
	}
	if o.Pending != "" {
		parts = append(parts, f.cat.T("xr.pending", o.Pending))
	}
	return mdCell(strings.Join(parts, " · "))
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}
