package app

import (
	"context"

	"github.com/chatbotsaas/chatbot/command/domain/user"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// UpdateProfileCmd renames the caller.
type UpdateProfileCmd struct {
	Principal auth.Principal
	Name      string
}

// UpdateProfile renames the caller and returns the new state.
type UpdateProfile struct{ Store *eventstore.Store }

// Handle renames.
func (h UpdateProfile) Handle(ctx context.Context, cmd UpdateProfileCmd) (UserAt, error) {
	var errs []apperr.FieldError
	name := checkName("name", cmd.Name, &errs)
	if len(errs) > 0 {
		return UserAt{}, apperr.Validation(errs...)
	}
	p := cmd.Principal
	after, res, err := eventstore.Update(ctx, h.Store, userRef(p.Tenant(), p.UserID), func(u *user.User) (*user.User, []events.Event, error) {
		evs, err := u.Rename(name)
		return u, evs, err // folded with the rename
	})
	if err != nil {
		return UserAt{}, err
	}
	return UserAt{User: *after, Position: res.Position}, nil
}
