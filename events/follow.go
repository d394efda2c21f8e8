package events

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Follow keeps a live view in step with the stream: an ordered consumer
// (cfg says which subjects and from where) hands every event to apply, in
// stream order, until ctx ends. It returns once the events stored when it
// began are applied, so that a process serves only with a complete view;
// an event apply refuses is logged and skipped (a view must not stop).
func Follow(ctx context.Context, js jetstream.JetStream, cfg jetstream.OrderedConsumerConfig, view string,
	within time.Duration, apply func(Envelope) error, log *slog.Logger) error {
	cons, err := js.OrderedConsumer(ctx, StreamName, cfg)
	if err != nil {
		return fmt.Errorf("%s: %w", view, err)
	}
	ready := make(chan struct{})
	var once sync.Once
	if cons.CachedInfo().NumPending == 0 {
		once.Do(func() { close(ready) })
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		md, err := m.Metadata()
		if err != nil {
			return
		}
		env, err := Unmarshal(m.Data(), md.Sequence.Stream)
		if err == nil {
			err = apply(env)
		}
		if err != nil {
			log.Error(view+": event skipped", "position", md.Sequence.Stream, "err", err)
		}
		if md.NumPending == 0 {
			once.Do(func() { close(ready) })
		}
	})
	if err != nil {
		return fmt.Errorf("%s: %w", view, err)
	}
	context.AfterFunc(ctx, cc.Stop)
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(within):
		return fmt.Errorf("%s could not be read within %v", view, within)
	}
}
