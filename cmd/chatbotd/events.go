package main

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/chatbotsaas/chatbot/shared/config"
	"github.com/chatbotsaas/chatbot/shared/observability"
)

// eventActions are the verbs of `chatbotd events`, one file each.
var eventActions = map[string]func(ctx context.Context, e env, cfg config.Config, args []string) error{
	"tail":        runEventsTail,
	"credentials": runEventsCredentials,
}

// runEvents dispatches `chatbotd events <action> ...`.
func runEvents(ctx context.Context, e env, cfg config.Config, args []string) error {
	var names []string
	for name := range eventActions {
		names = append(names, name)
	}
	sort.Strings(names)
	if len(args) == 0 {
		return usageError("events needs an action: " + strings.Join(names, ", "))
	}
	action, ok := eventActions[args[0]]
	if !ok {
		return usageError(fmt.Sprintf("no events action %q; the actions are %s", args[0], strings.Join(names, ", ")))
	}
	return action(ctx, e, cfg, args[1:])
}

// openStreamReader connects to NATS as the other CLI subcommands do, with
// nothing else (no database): its log goes to stderr, since stdout carries
// the events.
func openStreamReader(e env, cfg config.Config, name string) (*runtime, error) {
	rt := &runtime{cfg: cfg, flush: func() {}}
	rt.log = observability.NewLogger(e.stderr, cfg.LogLevel, cfg.LogFormat).With("process", name)
	if err := rt.openNATS(natsShared, name); err != nil {
		rt.close()
		return nil, err
	}
	return rt, nil
}
