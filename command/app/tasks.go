package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
)

// errDrop is a task message that can never be done (malformed): it is
// terminated rather than retried.
var errDrop = errors.New("task message cannot be done")

// runTasks consumes a durable task consumer of the stream until ctx ends:
// every command process may run it, and the consumer hands each message to
// one of them. A failed task is retried with backoff.
func runTasks(ctx context.Context, js jetstream.JetStream, cfg jetstream.ConsumerConfig, log *slog.Logger,
	do func(context.Context, jetstream.Msg) error) error {
	cfg.AckPolicy, cfg.AckWait = jetstream.AckExplicitPolicy, 30*time.Second
	cfg.BackOff = []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, time.Minute}
	cons, err := js.CreateOrUpdateConsumer(ctx, events.StreamName, cfg)
	if err != nil {
		return fmt.Errorf("%s consumer: %w", cfg.Durable, err)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		switch err := do(events.WithTask(ctx, m), m); {
		case errors.Is(err, errDrop):
			_ = m.Term()
		case err != nil && !errors.Is(err, context.Canceled):
			log.Warn(cfg.Durable+": failed; it will be retried", "subject", m.Subject(), "err", err)
			_ = m.Nak()
		case err == nil:
			_ = m.Ack()
		}
	})
	if err != nil {
		return err
	}
	context.AfterFunc(ctx, cc.Stop)
	return nil
}
