package app

import (
	"context"

	"github.com/chatbotsaas/chatbot/command/domain/user"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// UpdateProfile renames the caller and returns the new state.
func (id *Identity) UpdateProfile(ctx context.Context, p auth.Principal, name string) (user.User, uint64, error) {
	var errs []apperr.FieldError
	name = checkName("name", name, &errs)
	if len(errs) > 0 {
		return user.User{}, 0, apperr.Validation(errs...)
	}
	after, res, err := eventstore.Update(ctx, id.store, userRef(p.Tenant(), p.UserID), func(u *user.User) (*user.User, []events.Event, error) {
		evs, err := u.Rename(name)
		return u, evs, err // folded with the rename
	})
	if err != nil {
		return user.User{}, 0, err
	}
	return *after, res.Position, nil
}
