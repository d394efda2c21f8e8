package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/chatbotsaas/chatbot/shared/deadletter"
	"io"
	"strings"

	"github.com/chatbotsaas/chatbot/command/app"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/projector"
	"github.com/chatbotsaas/chatbot/shared/config"
	"github.com/chatbotsaas/chatbot/shared/observability"
)

const replayUsage = "replay PROJECTION | --all [--to-position N --into SCHEMA | --into SCHEMA]"

// replayArgs is a parsed replay command line.
type replayArgs struct {
	names []string
	to    uint64
	into  string
}

func parseReplayArgs(args []string) (replayArgs, error) {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	all := fs.Bool("all", false, "")
	var a replayArgs
	fs.Uint64Var(&a.to, "to-position", 0, "")
	fs.StringVar(&a.into, "into", "", "")
	names, err := parseInterspersed(fs, args)
	if err != nil {
		return a, usageError(err.Error())
	}
	switch {
	case *all == (len(names) == 1) || len(names) > 1:
		return a, usageError("give one projection or --all; the projections are " + projectionNames())
	case a.to > 0 && a.into == "":
		return a, usageError("--to-position builds a past read model beside the live one: give --into SCHEMA")
	}
	a.names = names
	if *all {
		a.names = strings.Split(projectionNames(), ", ")
	}
	for _, n := range a.names {
		if _, ok := projector.Lookup(n); !ok {
			return a, usageError("no projection " + n + "; the projections are " + projectionNames())
		}
	}
	return a, nil
}

// parseInterspersed parses flags given before and after the positional
// arguments, which it returns.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// runReplay rebuilds projections from the stream and swaps them in, or
// builds a past read model into a schema of its own (--into).
func runReplay(ctx context.Context, e env, cfg config.Config, args []string) error {
	a, err := parseReplayArgs(args)
	if err != nil {
		return err
	}
	runner, rt, err := openReplayRunner(ctx, e, cfg, "replay")
	if err != nil {
		return err
	}
	defer rt.close()
	view := newProgressView(e)
	if a.into != "" {
		return buildInto(ctx, e, runner, rt, a, view)
	}
	store, err := eventstore.Open(ctx, rt.js, eventstore.Options{Replicas: cfg.NATSReplicas, Logger: rt.log})
	if err != nil {
		return err
	}
	rebuild := app.RequestRebuild{Store: store, Known: knownProjection}
	for _, name := range a.names {
		request, err := rebuild.Handle(ctx, app.RebuildCmd{Projection: name})
		if err != nil {
			return err
		}
		progress, finish := view.track(name)
		stats, err := runner.Rebuild(ctx, name, request, progress)
		finish()
		if ctx.Err() != nil {
			return errors.New("interrupted: the live read model of " + name + " is unchanged (a projector that had taken the rebuild goes on with it)")
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s rebuilt and swapped in (request at position %d)\n", name, request)
		if stats.Resolved > 0 {
			fmt.Fprintf(e.stdout, "%s: %d dead letters resolved, their events applied by the rebuild\n", name, stats.Resolved)
		}
		reportParked(ctx, e, rt, name)
	}
	return nil
}

// buildInto is time travel: the read models as they were at a position,
// in a schema that stays for queries.
func buildInto(ctx context.Context, e env, runner *projector.Runner, rt *runtime, a replayArgs, view *progressView) error {
	to := a.to
	if to == 0 {
		s, err := rt.js.Stream(ctx, events.StreamName)
		if err != nil {
			return err
		}
		to = s.CachedInfo().State.LastSeq
	}
	for _, name := range a.names {
		progress, finish := view.track(name)
		stats, err := runner.BuildAt(ctx, name, a.into, to, progress)
		finish()
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "%s as at position %d built into schema %s (%d events in %s)\n",
			name, to, a.into, stats.Events, stats.Took.Round(1e6))
	}
	return nil
}

// reportParked says how many events of the projection are still parked
// after its rebuild: those it could not apply again.
func reportParked(ctx context.Context, e env, rt *runtime, name string) {
	if n, err := deadletter.CountOpen(ctx, rt.pool, name); err == nil && n > 0 {
		fmt.Fprintf(e.stdout, "%s: %d events still parked in dead_letters (chatbotd dead-letters list --consumer %s)\n", name, n, name)
	}
}

// openReplayRunner opens what a replay needs, its log on stderr (stdout
// carries the results), and a runner of every projection that is not
// started: it consumes nothing live.
func openReplayRunner(ctx context.Context, e env, cfg config.Config, name string) (*projector.Runner, *runtime, error) {
	logs := e
	logs.stdout = e.stderr
	rt, err := openRuntime(ctx, logs, cfg, name, natsShared, withPostgres)
	if err != nil {
		return nil, nil, err
	}
	vault, err := rt.personalData(ctx)
	if err != nil {
		rt.close()
		return nil, nil, err
	}
	quiet := observability.NewLogger(e.stderr, "warn", cfg.LogFormat)
	runner := projector.New(projector.Deps{Pool: rt.pool, JS: rt.js, Logger: quiet, Vault: vault},
		projections(cfg), projector.Options{Replicas: cfg.NATSReplicas})
	return runner, rt, nil
}
