package app

import (
	"context"

	"github.com/chatbotsaas/chatbot/command/domain/user"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// ResetPassword spends a reset token: the new password is set, every
// session of the account is revoked and any lock lifted. The policy is
// checked first (422); a token that is unknown, spent or expired answers
// user.ErrInvalidResetToken (400).
func (id *Identity) ResetPassword(ctx context.Context, token, next string) (uint64, error) {
	var errs []apperr.FieldError
	id.checkPassword("new_password", next, &errs)
	if len(errs) > 0 {
		return 0, apperr.Validation(errs...)
	}
	tenant, userID, ok := auth.ParseResetToken(token)
	if !ok {
		return 0, user.ErrInvalidResetToken
	}
	hash := auth.HashResetToken(token)
	ctx = events.WithActor(ctx, events.UserActor(userID))
	newHash, err := id.hasher.Hash(next)
	if err != nil {
		return 0, err
	}
	// The token is spent in the stream before the hash is stored: of two
	// racing confirms, only the one whose append won sets its password.
	_, res, err := eventstore.Update(ctx, id.store, userRef(tenant, userID), eventstore.EventsOnly(func(u *user.User) ([]events.Event, error) {
		return u.ResetPassword(id.now(), hash)
	}))
	if err != nil {
		return 0, err
	}
	if err := id.storeHash(ctx, userID, newHash); err != nil {
		return 0, err
	}
	id.remember(res)
	return res.Position, nil
}
