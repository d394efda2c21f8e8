package app

import (
	"context"
	"errors"

	"github.com/chatbotsaas/chatbot/command/domain/user"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// ResetMailsPerHour bounds the reset links mailed to one account an hour.
const ResetMailsPerHour = 3

// errNoResetKey: the process was built without the key reset tokens need.
var errNoResetKey = errors.New("password reset needs the platform's key (the personal data vault)")

// RequestPasswordReset records a reset link for the account of email, if
// there is one and it has not had its links for the hour; the mail task
// sends it. The caller answers the same whatever happened here, errors of
// the platform aside.
func (id *Identity) RequestPasswordReset(ctx context.Context, email string) error {
	if id.resetKey == nil {
		return errNoResetKey
	}
	owner, err := id.store.Owner(ctx, "email", NormalizeEmail(email))
	if err != nil {
		return err
	}
	tenant, userID, known := parseReservation(owner)
	if !known {
		return nil
	}
	ctx = events.WithActor(ctx, events.UserActor(userID))
	requestID := newID()
	token := auth.ResetToken(id.resetKey, tenant, userID, requestID)
	req := user.ResetRequest{RequestID: requestID, TokenHash: auth.HashResetToken(token),
		TTL: id.policy.Get().PasswordResetTTL, MaxPerHour: ResetMailsPerHour}
	_, err = eventstore.Update(ctx, id.store, userRef(tenant, userID), func(u *user.User) ([]events.Event, error) {
		return u.RequestPasswordReset(id.now(), req), nil
	})
	return err
}
