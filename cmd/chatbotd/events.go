package main

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/shared/config"
	"github.com/chatbotsaas/chatbot/shared/natsx"
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

// openStreamReader connects to NATS with nothing else (no database): its
// log goes to stderr, since stdout carries the events. Against a running
// embedded server it reads as the read-only audit user, so a reader can
// change nothing; with no server running it starts the embedded one on
// DATA_DIR as the other CLI subcommands do, and with NATS_URL it uses the
// configured credentials.
func openStreamReader(e env, cfg config.Config, name string) (*runtime, error) {
	rt := &runtime{cfg: cfg, flush: func() {}}
	rt.log = observability.NewLogger(e.stderr, cfg.LogLevel, cfg.LogFormat).With("process", name)
	if ok, err := rt.openAsAuditor(name); ok || err != nil {
		if err != nil {
			rt.close()
			return nil, err
		}
		return rt, nil
	}
	if err := rt.openNATS(natsShared, name); err != nil {
		rt.close()
		return nil, err
	}
	return rt, nil
}

// openAsAuditor connects to the embedded server serve announced under
// DATA_DIR as its audit user. It reports false when NATS_URL is set or no
// embedded server answers there.
func (rt *runtime) openAsAuditor(name string) (bool, error) {
	if rt.cfg.NATSURL != "" {
		return false, nil
	}
	url := natsx.ReadAddrFile(rt.cfg.DataDir)
	if url == "" {
		return false, nil
	}
	users, err := embeddedUsers(rt.cfg)
	if err != nil {
		return false, err
	}
	audit := nats.UserInfo(users.Audit.User, users.Audit.Password)
	if !reachable(url, audit) {
		return false, nil
	}
	// The audit user takes its replies on the default inbox prefix.
	nc, err := natsx.Connect(url, nil, "chatbotd "+name, rt.log, audit, nats.CustomInboxPrefix(strings.TrimSuffix(nats.InboxPrefix, ".")))
	if err != nil {
		return false, err
	}
	rt.nc = nc
	if rt.js, err = jetstream.New(nc); err != nil {
		return false, fmt.Errorf("JetStream: %v", err)
	}
	return true, nil
}
