package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/chatbotsaas/chatbot/projector"
	"github.com/chatbotsaas/chatbot/shared/config"
)

const projectionsUsage = "projections status [--json] | projections verify PROJECTION | --all"

// runProjections dispatches `chatbotd projections status|verify`.
func runProjections(ctx context.Context, e env, cfg config.Config, args []string) error {
	if len(args) == 0 {
		return usageError("projections needs an action: status, verify")
	}
	switch args[0] {
	case "status":
		return runProjectionsStatus(ctx, e, cfg, args[1:])
	case "verify":
		return runProjectionsVerify(ctx, e, cfg, args[1:])
	}
	return usageError(fmt.Sprintf("no projections action %q; the actions are status, verify", args[0]))
}

// runProjectionsStatus prints what GET /v1/admin/projections answers.
func runProjectionsStatus(ctx context.Context, e env, cfg config.Config, args []string) error {
	fs := flag.NewFlagSet("projections status", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	asJSON := fs.Bool("json", false, "")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 {
		return usageError("projections status takes --json only")
	}
	logs := e
	logs.stdout = e.stderr
	rt, err := openRuntime(ctx, logs, cfg, "projections", natsShared, withPostgres)
	if err != nil {
		return err
	}
	defer rt.close()
	statuses, err := projector.NewProgress(rt.pool, rt.js, projections(cfg)).Statuses(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(statuses)
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "PROJECTION\tTABLES\tPOSITION\tSTREAM\tLAG\tSTATE\tDEAD LETTERS\tLAST REBUILD")
	for _, s := range statuses {
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%s\t%d\t%s\n", s.Name, strings.Join(s.Tables, ","), s.Position,
			s.StreamPosition, s.Lag, describeState(s), s.DeadLetters, describeLastRebuild(s))
	}
	return w.Flush()
}

func describeState(s projector.Status) string {
	if s.State == projector.StateRebuilding && s.RebuildPosition != nil && s.RebuildTotal != nil {
		return fmt.Sprintf("rebuilding %d/%d (%.0f%%)", *s.RebuildPosition, *s.RebuildTotal, percent(*s.RebuildPosition, *s.RebuildTotal))
	}
	return s.State
}

func describeLastRebuild(s projector.Status) string {
	switch {
	case s.State == projector.StateFailed && s.RebuildError != nil:
		return "failed: " + oneLine(*s.RebuildError)
	case s.RebuiltAt != nil:
		return s.RebuiltAt.UTC().Format(time.RFC3339)
	}
	return "-"
}

// verifyShown is how many differing rows verify prints per projection.
const verifyShown = 20

// runProjectionsVerify replays projections into scratch schemas and
// compares them with the live read models; it fails unless all are equal.
func runProjectionsVerify(ctx context.Context, e env, cfg config.Config, args []string) error {
	fs := flag.NewFlagSet("projections verify", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	all := fs.Bool("all", false, "")
	names, err := parseInterspersed(fs, args)
	if err != nil || *all == (len(names) == 1) || len(names) > 1 {
		return usageError("give one projection or --all; the projections are " + projectionNames())
	}
	if *all {
		names = strings.Split(projectionNames(), ", ")
	}
	runner, rt, err := openReplayRunner(ctx, e, cfg, "projections")
	if err != nil {
		return err
	}
	defer rt.close()
	var differ []string
	for _, name := range names {
		v, err := runner.Verify(ctx, name, verifyShown)
		if err != nil {
			return fmt.Errorf("verify %s: %w", name, err)
		}
		if v.Differences == 0 {
			fmt.Fprintf(e.stdout, "%s: equal at position %d (%d events replayed)\n", name, v.Position, v.Events)
			continue
		}
		differ = append(differ, name)
		fmt.Fprintf(e.stdout, "%s: %d rows differ at position %d (%d events replayed)\n", name, v.Differences, v.Position, v.Events)
		for _, d := range v.Shown {
			fmt.Fprintf(e.stdout, "  %s %s\n    live:    %s\n    rebuilt: %s\n", d.Table, d.Key, orMissing(d.Live), orMissing(d.Rebuilt))
		}
		if len(v.Shown) < v.Differences {
			fmt.Fprintf(e.stdout, "  ... and %d more\n", v.Differences-len(v.Shown))
		}
	}
	if len(differ) > 0 {
		return fmt.Errorf("the live read model differs from the stream's replay: %s (chatbotd replay repairs it)", strings.Join(differ, ", "))
	}
	return nil
}

func orMissing(row *string) string {
	if row == nil {
		return "(missing)"
	}
	return *row
}
