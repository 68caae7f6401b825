package main

import (
	"context"
	"fmt"
	"time"

	"github.com/faultline/faultline"
	"github.com/faultline/faultline/commands"
)

// export prints the incident archive: one incident's record as Markdown
// (faultline export I-3), or the incidents declared in a period as CSV
// (faultline export --from 2026-11-01 --to 2026-12-01).
func (e environment) export(ctx context.Context, args []string) error {
	fs := newFlags("export", e)
	from := fs.String("from", "", "first day of the period, YYYY-MM-DD (CSV)")
	to := fs.String("to", "", "day after the period, YYYY-MM-DD (CSV); default tomorrow")
	form := fs.String("form", "", "external: the report filed outside the company (Markdown, then plain text); with --plain only the text")
	plainOnly := fs.Bool("plain", false, "with --form external, only the plain text that pastes into a web form")
	positional, err := parseInterspersed(fs, args)
	if err != nil {
		return usageError{err.Error()}
	}
	cfg, err := e.loadConfig(true)
	if err != nil {
		return err
	}
	db, err := openStore(ctx, cfg, quietLogger(e))
	if err != nil {
		return err
	}
	defer db.Close()
	svc := newService(cfg, commands.Deps{Store: db, Log: quietLogger(e)}, 0)
	switch {
	case len(positional) == 1 && *from == "":
		n, err := faultline.ParseIncidentRef(positional[0])
		if err != nil {
			return usageError{err.Error()}
		}
		switch *form {
		case "":
		case "external":
			md, plain, err := svc.IncidentExternalReport(ctx, n)
			if err != nil {
				return fmt.Errorf("export %s: %w", faultline.IncidentRef(n), err)
			}
			if *plainOnly {
				_, err = fmt.Fprint(e.stdout, plain)
				return err
			}
			_, err = fmt.Fprintf(e.stdout, "%s\n---\n\n%s", md, plain)
			return err
		default:
			return usageError{"--form takes external (the report filed outside the company)"}
		}
		md, err := svc.IncidentMarkdown(ctx, n)
		if err != nil {
			return fmt.Errorf("export %s: %w", faultline.IncidentRef(n), err)
		}
		_, err = fmt.Fprint(e.stdout, md)
		return err
	case len(positional) == 0 && *from != "":
		start, end, err := period(*from, *to, cfg.Location)
		if err != nil {
			return usageError{err.Error()}
		}
		return svc.IncidentsCSV(ctx, start, end, e.stdout)
	}
	return usageError{"export takes an incident (export I-3) or a period (export --from 2026-11-01 [--to 2026-12-01])"}
}

func period(from, to string, loc *time.Location) (time.Time, time.Time, error) {
	start, err := time.ParseInLocation("2006-01-02", from, loc)
	if err != nil {
		return start, start, fmt.Errorf("--from %q is not a date like 2026-11-01", from)
	}
	now := time.Now().In(loc)
	end := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, loc)
	if to != "" {
		if end, err = time.ParseInLocation("2006-01-02", to, loc); err != nil {
			return start, end, fmt.Errorf("--to %q is not a date like 2026-12-01", to)
		}
	}
	if !end.After(start) {
		return start, end, fmt.Errorf("--to must come after --from")
	}
	return start, end, nil
}
