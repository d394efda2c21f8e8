package app

import (
	"context"
	"errors"
	"log/slog"

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
// the platform aside, and as fast: the link is recorded after the answer,
// so that the time of the answer does not tell whether the account exists.
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
	ctx = events.WithActor(context.WithoutCancel(ctx), events.UserActor(userID))
	go func() {
		if err := id.recordResetRequest(ctx, tenant, userID); err != nil {
			slog.ErrorContext(ctx, "password reset request not recorded", "user", userID, "err", err)
		}
	}()
	return nil
}

// recordResetRequest appends the request, if the account may have a link now.
func (id *Identity) recordResetRequest(ctx context.Context, tenant, userID string) error {
	requestID := newID(ctx)
	token := auth.ResetToken(id.resetKey, tenant, userID, requestID)
	req := user.ResetRequest{RequestID: requestID, TokenHash: auth.HashResetToken(token),
		TTL: id.policy.Get().PasswordResetTTL, MaxPerHour: ResetMailsPerHour}
	_, _, err := eventstore.Update(ctx, id.store, userRef(tenant, userID), eventstore.EventsOnly(func(u *user.User) ([]events.Event, error) {
		return u.RequestPasswordReset(id.now(), req), nil
	}))
	return err
}
