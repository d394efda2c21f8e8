package app

import (
	"context"

	"github.com/chatbotsaas/chatbot/command/domain/user"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// ErrWrongCurrentPassword answers a password change with a wrong current password.
var ErrWrongCurrentPassword = apperr.New(apperr.KindForbidden, "invalid_credentials", "the current password is wrong")

// ChangePassword replaces the caller's password after checking the current
// one; every other session of the caller is revoked.
func (id *Identity) ChangePassword(ctx context.Context, p auth.Principal, current, next string) (uint64, error) {
	var errs []apperr.FieldError
	id.checkPassword("new_password", next, &errs)
	if len(errs) > 0 {
		return 0, apperr.Validation(errs...)
	}
	hash, err := id.loadHash(ctx, p.UserID)
	if err != nil {
		return 0, err
	}
	if ok, _ := id.hasher.Check(hash, current); !ok {
		return 0, ErrWrongCurrentPassword
	}
	newHash, err := id.hasher.Hash(next)
	if err != nil {
		return 0, err
	}
	if err := id.storeHash(ctx, p.UserID, newHash); err != nil {
		return 0, err
	}
	res, err := eventstore.Update(ctx, id.store, userRef(p.Tenant(), p.UserID), func(u *user.User) ([]events.Event, error) {
		return u.PasswordChanged(id.now(), "self", p.SessionID)
	})
	if err != nil {
		return 0, err
	}
	id.remember(res)
	return res.Position, nil
}
