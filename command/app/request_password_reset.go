package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/chatbotsaas/chatbot/command/domain/user"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/auth"
	"github.com/chatbotsaas/chatbot/shared/policy"
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
type RequestPasswordReset struct {
	Store    *eventstore.Store
	ResetKey auth.MACer // the personal data vault: makes reset tokens; nil refuses resets
	Policy   *policy.Holder
	Now      func() time.Time
}

// ResetRequestCmd names the account's email.
type ResetRequestCmd struct{ Email string }

// Handle records the request, after answering.
func (h RequestPasswordReset) Handle(ctx context.Context, cmd ResetRequestCmd) (eventstore.Nothing, error) {
	if h.ResetKey == nil {
		return eventstore.Nothing{}, errNoResetKey
	}
	owner, err := h.Store.Owner(ctx, "email", NormalizeEmail(cmd.Email))
	if err != nil {
		return eventstore.Nothing{}, err
	}
	tenant, userID, known := parseReservation(owner)
	if !known {
		return eventstore.Nothing{}, nil
	}
	ctx = events.WithActor(context.WithoutCancel(ctx), events.UserActor(userID))
	go func() {
		if err := h.record(ctx, tenant, userID); err != nil {
			slog.ErrorContext(ctx, "password reset request not recorded", "user", userID, "err", err)
		}
	}()
	return eventstore.Nothing{}, nil
}

// record appends the request, if the account may have a link now.
func (h RequestPasswordReset) record(ctx context.Context, tenant, userID string) error {
	requestID := newID(ctx)
	token := auth.ResetToken(h.ResetKey, tenant, userID, requestID)
	req := user.ResetRequest{RequestID: requestID, TokenHash: auth.HashResetToken(token),
		TTL: h.Policy.Get().PasswordResetTTL, MaxPerHour: ResetMailsPerHour}
	_, _, err := eventstore.Update(ctx, h.Store, userRef(tenant, userID), eventstore.EventsOnly(func(u *user.User) ([]events.Event, error) {
		return u.RequestPasswordReset(h.Now(), req), nil
	}))
	return err
}
