package main

import (
	"context"
	"fmt"
	"os"

	"github.com/chatbotsaas/chatbot/shared/config"
	"github.com/chatbotsaas/chatbot/shared/observability"
)

// runNATS runs the embedded NATS server alone, with the product's users
// and their permissions, until ctx ends: the broker of a split deployment
// on one host that outlives any one of its processes (`chatbotd command`,
// `query` and `projector` find it through DATA_DIR as they find serve's).
func runNATS(ctx context.Context, e env, cfg config.Config, args []string) error {
	if len(args) > 0 {
		return usageError("nats takes no arguments")
	}
	if cfg.NATSURL != "" {
		return usageError("nats runs the embedded server; NATS_URL names another one, so leave it empty")
	}
	rt := &runtime{cfg: cfg, flush: func() {}}
	rt.log = observability.NewLogger(e.stdout, cfg.LogLevel, cfg.LogFormat).With("process", "nats")
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("cannot create DATA_DIR %s: %v", cfg.DataDir, err)
	}
	users, err := embeddedUsers(cfg)
	if err != nil {
		return err
	}
	if err := rt.startEmbedded(users); err != nil {
		return err
	}
	defer rt.close()
	rt.log.Info("ready", "url", rt.embedded.ClientURL())
	<-ctx.Done()
	return nil
}
