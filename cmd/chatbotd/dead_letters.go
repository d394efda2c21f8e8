package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"

	"github.com/chatbotsaas/chatbot/command/app"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/config"
	"github.com/chatbotsaas/chatbot/shared/deadletter"
)

const deadLettersUsage = "dead-letters list [--consumer C] [--resolved true|false] [--limit N] [--cursor X] [--json] | show ID | retry ID | discard ID"

// cliActor is who the command line acts as in the audit log: whoever runs
// it has the database and the stream, so it is the platform itself.
var cliActor = events.Actor{Type: events.ActorSystem, ID: "cli"}

// runDeadLetters lists, shows, retries and discards dead letters through
// the functions the admin routes use.
func runDeadLetters(ctx context.Context, e env, cfg config.Config, args []string) error {
	if len(args) == 0 {
		return usageError("the actions are list, show, retry and discard")
	}
	action, args := args[0], args[1:]
	if action == "list" {
		return listDeadLetters(ctx, e, cfg, args)
	}
	if action != "show" && action != "retry" && action != "discard" {
		return usageError("the actions are list, show, retry and discard")
	}
	if len(args) != 1 {
		return usageError(action + " takes the id of one dead letter")
	}
	rt, err := openRuntime(ctx, e, cfg, "dead-letters", natsShared, withPostgres)
	if err != nil {
		return err
	}
	defer rt.close()
	ctx = events.WithActor(ctx, cliActor)
	switch action {
	case "show":
		l, err := deadletter.Get(ctx, rt.pool, args[0])
		if err != nil {
			return err
		}
		return printJSON(e.stdout, l.Detailed(), true)
	}
	store, err := eventstore.Open(ctx, rt.js, eventstore.Options{Replicas: cfg.NATSReplicas, Logger: rt.log})
	if err != nil {
		return err
	}
	requests := app.DeadLetterRequests{Store: store, NATS: rt.js.Conn()}
	if action == "discard" {
		if _, err := (app.DiscardDeadLetter{DeadLetterRequests: requests}).Handle(ctx, args[0]); err != nil {
			return problem(err)
		}
		fmt.Fprintf(e.stdout, "dead letter %s discarded\n", args[0])
		return nil
	}
	res, err := (app.RetryDeadLetter{DeadLetterRequests: requests}).Handle(ctx, args[0])
	if err != nil {
		return problem(err)
	}
	if res.Outcome.Outcome != deadletter.Applied {
		return fmt.Errorf("dead letter %s retried: %s: %s", args[0], res.Outcome.Outcome, res.Error)
	}
	fmt.Fprintf(e.stdout, "dead letter %s retried: applied\n", args[0])
	return nil
}

func listDeadLetters(ctx context.Context, e env, cfg config.Config, args []string) error {
	fs := flag.NewFlagSet("dead-letters list", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	consumer := fs.String("consumer", "", "")
	resolved := fs.String("resolved", "", "")
	limit := fs.Int("limit", 50, "")
	cursor := fs.String("cursor", "", "")
	asJSON := fs.Bool("json", false, "")
	if err := fs.Parse(args); err != nil || fs.NArg() > 0 || *limit < 1 || *limit > 200 {
		return usageError("list takes --consumer, --resolved, --limit (1 to 200), --cursor and --json")
	}
	f := deadletter.Filter{Consumer: *consumer, Cursor: *cursor, Limit: *limit}
	if *resolved != "" {
		r, err := strconv.ParseBool(*resolved)
		if err != nil {
			return usageError("--resolved is true or false")
		}
		f.Resolved = &r
	}
	rt, err := openRuntime(ctx, e, cfg, "dead-letters", natsShared, withPostgres)
	if err != nil {
		return err
	}
	defer rt.close()
	items, next, err := deadletter.List(ctx, rt.pool, f)
	if errors.Is(err, deadletter.ErrBadCursor) {
		return usageError(err.Error())
	}
	if err != nil {
		return err
	}
	for _, l := range items {
		if *asJSON {
			if err := printJSON(e.stdout, l, false); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintln(e.stdout, deadletter.FormatLine(l))
	}
	if next != nil && !*asJSON {
		fmt.Fprintf(e.stdout, "more: --cursor %s\n", *next)
	}
	return nil
}

func printJSON(w io.Writer, v any, indent bool) error {
	enc := json.NewEncoder(w)
	if indent {
		enc.SetIndent("", "  ")
	}
	return enc.Encode(v)
}

// problem turns an API error into its sentence for the terminal.
func problem(err error) error {
	if ae := apperr.As(err); ae != nil && ae.Kind != apperr.KindInternal {
		return errors.New(ae.Message)
	}
	return err
}
