package app

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
)

// erasureConsumer finishes the deletion of users: DeleteUser erases at once,
// and this durable consumer makes sure it happened (a failure there is
// retried here, then parked as a dead letter for an operator), in
// whichever command process gets it.
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
func (id *Identity) RunErasures(ctx context.Context) error {
	return id.tasks.run(ctx, jetstream.ConsumerConfig{
		Durable: erasureConsumer, Description: "destroys the password hash and data key of deleted users",
		FilterSubject: events.Subject("*", events.AggregateUser, "*", events.UserDeleted),
		DeliverPolicy: jetstream.DeliverAllPolicy,
	}, func(ctx context.Context, m task) error {
		env, err := events.Unmarshal(m.data, m.seq)
		if err != nil {
			return fmt.Errorf("%w: %v", errDrop, err)
		}
		return id.erase(ctx, env.TenantID, env.AggregateID)
	})
}
