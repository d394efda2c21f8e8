package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
)

// erasureConsumer finishes the deletion of users: DeleteUser erases at once,
// and this durable consumer makes sure it happened (a failure there is
// retried here until it succeeds), in whichever command process gets it.
const erasureConsumer = "user_erasures"

// erase destroys what a deleted user leaves outside read models: its
// password hash and its data key (with its snapshot). Both are idempotent.
func (id *Identity) erase(ctx context.Context, tenant, userID string) error {
	if err := id.creds.Delete(ctx, userID); err != nil {
		return fmt.Errorf("delete the password hash of %s: %w", userID, err)
	}
	return id.store.Erase(ctx, userRef(tenant, userID))
}

// RunErasures consumes UserDeleted events until ctx ends.
func (id *Identity) RunErasures(ctx context.Context, log *slog.Logger) error {
	cons, err := id.js.CreateOrUpdateConsumer(ctx, events.StreamName, jetstream.ConsumerConfig{
		Durable: erasureConsumer, Description: "destroys the password hash and data key of deleted users",
		FilterSubject: events.Subject("*", events.AggregateUser, "*", events.UserDeleted),
		AckPolicy:     jetstream.AckExplicitPolicy, DeliverPolicy: jetstream.DeliverAllPolicy,
		AckWait: 30 * time.Second, MaxDeliver: -1,
		BackOff: []time.Duration{time.Second, 5 * time.Second, 30 * time.Second, time.Minute},
	})
	if err != nil {
		return fmt.Errorf("erasure consumer: %w", err)
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		meta, err := m.Metadata()
		if err != nil {
			_ = m.Term()
			return
		}
		env, err := events.Unmarshal(m.Data(), meta.Sequence.Stream)
		if err != nil {
			_ = m.Term()
			return
		}
		if err := id.erase(ctx, env.TenantID, env.AggregateID); err != nil {
			log.Warn("erasure failed; it will be retried", "user", env.AggregateID, "err", err)
			_ = m.Nak()
			return
		}
		_ = m.Ack()
	})
	if err != nil {
		return err
	}
	go func() {
		<-ctx.Done()
		cc.Stop()
	}()
	return nil
}
