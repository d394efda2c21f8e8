package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/chatbotsaas/chatbot/command/devseed"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/config"
)

const devUsage = "dev seed [--chatbots N] [--keys-per-chatbot K] [--tenants T] [--seed S] [--force] | dev seed --events N [--tenants T] [--force]"

// runDev handles `chatbotd dev seed ...`: chatbots and their keys, or with
// --events a mix of every kind of event.
func runDev(ctx context.Context, e env, cfg config.Config, args []string) error {
	if len(args) == 0 || args[0] != "seed" {
		return usageError("the only action is seed")
	}
	fs := flag.NewFlagSet("dev seed", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o devseed.Options
	var mix devseed.EventsOptions
	fs.IntVar(&o.Chatbots, "chatbots", 1000, "")
	fs.IntVar(&o.KeysPerChatbot, "keys-per-chatbot", 1, "")
	fs.IntVar(&o.Tenants, "tenants", 100, "")
	fs.StringVar(&o.Seed, "seed", "dev", "")
	fs.BoolVar(&o.Force, "force", false, "")
	fs.IntVar(&mix.Events, "events", 0, "")
	if err := fs.Parse(args[1:]); err != nil || fs.NArg() > 0 || mix.Events < 0 {
		return usageError("dev seed takes --chatbots, --keys-per-chatbot, --tenants, --seed and --force, or --events, --tenants and --force")
	}
	rt, err := openRuntime(ctx, e, cfg, "dev", natsShared, withPostgres)
	if err != nil {
		return err
	}
	defer rt.close()
	if _, err := events.EnsureStream(ctx, rt.js, cfg.NATSReplicas); err != nil {
		return err
	}
	var got devseed.Seeded
	if mix.Events > 0 {
		mix.Tenants, mix.Force = o.Tenants, o.Force
		got, err = devseed.Events(ctx, rt.js, mix)
	} else {
		got, err = devseed.Run(ctx, rt.js, o)
	}
	if errors.Is(err, devseed.ErrNotEmpty) {
		return usageError(err.Error())
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "seeded %d events (to position %d) in %s\n", got.Events, got.Position, got.Took.Round(1e6))
	return nil
}
