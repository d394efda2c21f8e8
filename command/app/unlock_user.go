package app

import (
	"context"
	"time"

	"github.com/chatbotsaas/chatbot/command/domain/user"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// UnlockUserCmd names the user.
type UnlockUserCmd struct{ UserID string }

// UnlockUser lifts any lock, temporary or permanent, by an administrator.
type UnlockUser struct {
	Store *eventstore.Store
	Now   func() time.Time
}

// Handle lifts the lock.
func (h UnlockUser) Handle(ctx context.Context, cmd UnlockUserCmd) (uint64, error) {
	ref, err := locateUser(ctx, h.Store, cmd.UserID)
	if err != nil {
		return 0, err
	}
	_, res, err := eventstore.Update(ctx, h.Store, ref, eventstore.EventsOnly(func(u *user.User) ([]events.Event, error) {
		if !u.Exists() {
			return nil, apperr.NotFound("user")
		}
		return u.Unlock(h.Now(), events.UnlockAdmin), nil
	}))
	return res.Position, err
}
