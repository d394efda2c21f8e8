package app

import (
	"context"
	"time"

	"github.com/chatbotsaas/chatbot/command/domain/user"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
	"github.com/chatbotsaas/chatbot/shared/policy"
)

// ResetPassword spends a reset token: the new password is set, every
// session of the account is revoked and any lock lifted. The policy is
// checked first (422); a token that is unknown, spent or expired answers
// user.ErrInvalidResetToken (400).
type ResetPassword struct {
	Store   *eventstore.Store
	Creds   *Credentials
	Hasher  *auth.Hasher
	Policy  *policy.Holder
	Revoked *auth.Revocations
	Now     func() time.Time
}

// ResetPasswordCmd spends a reset token for a new password.
type ResetPasswordCmd struct{ Token, Next string }

// Handle spends the token.
func (h ResetPassword) Handle(ctx context.Context, cmd ResetPasswordCmd) (uint64, error) {
	token, next := cmd.Token, cmd.Next
	var errs []apperr.FieldError
	checkPassword(h.Policy, "new_password", next, &errs)
	if len(errs) > 0 {
		return 0, apperr.Validation(errs...)
	}
	tenant, userID, ok := auth.ParseResetToken(token)
	if !ok {
		return 0, user.ErrInvalidResetToken
	}
	hash := auth.HashResetToken(token)
	ctx = events.WithActor(ctx, events.UserActor(userID))
	newHash, err := h.Hasher.Hash(next)
	if err != nil {
		return 0, err
	}
	// The token is spent in the stream before the hash is stored: of two
	// racing confirms, only the one whose append won sets its password.
	_, res, err := eventstore.Update(ctx, h.Store, userRef(tenant, userID), eventstore.EventsOnly(func(u *user.User) ([]events.Event, error) {
		return u.ResetPassword(h.Now(), hash)
	}))
	if err != nil {
		return 0, err
	}
	if err := h.Creds.Put(ctx, userID, newHash); err != nil {
		return 0, err
	}
	remember(h.Revoked, res)
	return res.Position, nil
}
