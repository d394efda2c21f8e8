package app

import (
	"context"
	"fmt"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/taskrouter"
)

// erasureTask finishes the deletion of users: DeleteUser erases at once,
// and this task makes sure it happened (a failure there is retried here,
// then parked as a dead letter).
const erasureTask = "user_erasures"

// Eraser destroys what a deleted user leaves outside read models: its
// password hash and its data key (with its snapshot). Both are idempotent.
type Eraser struct {
	Store *eventstore.Store
	Creds *Credentials
}

func (e Eraser) erase(ctx context.Context, tenant, userID string) error {
	if err := e.Creds.Delete(ctx, userID); err != nil {
		return fmt.Errorf("delete the password hash of %s: %w", userID, err)
	}
	return e.Store.Erase(ctx, userRef(tenant, userID))
}

// ErasureTask handles UserDeleted events on the task router.
func (e Eraser) ErasureTask() taskrouter.Handler {
	return taskrouter.Handler{
		Name: erasureTask, Description: "destroys the password hash and data key of deleted users",
		Subjects: []string{events.Subject("*", events.AggregateUser, "*", events.UserDeleted)},
		Do: func(ctx context.Context, m taskrouter.Message) error {
			env, err := m.Event()
			if err != nil {
				return fmt.Errorf("%w: %v", taskrouter.ErrCannotDo, err)
			}
			// What it destroys cannot be undone: it checks the event is a
			// deletion itself rather than trust the consumer's filter.
			if env.Type != events.UserDeleted || env.AggregateType != events.AggregateUser {
				return fmt.Errorf("%w: erasure takes %s, not %s on %s", taskrouter.ErrCannotDo, events.UserDeleted, env.Type, env.AggregateType)
			}
			return e.erase(ctx, env.TenantID, env.AggregateID)
		},
	}
}
