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

// ErrWrongCurrentPassword answers a password change with a wrong current password.
var ErrWrongCurrentPassword = apperr.New(apperr.KindForbidden, "invalid_credentials", "the current password is wrong")

// ChangePasswordCmd replaces the caller's password.
type ChangePasswordCmd struct {
	Principal     auth.Principal
	Current, Next string
	Client        auth.Client
}

// ChangePassword replaces the caller's password after checking the current
// one; every other session of the caller is revoked. The check counts
// toward the account's lockout as a login does, so a stolen access token
// cannot guess the password.
type ChangePassword struct {
	Store   *eventstore.Store
	Creds   *Credentials
	Hasher  *auth.Hasher
	Policy  *policy.Holder
	Unlocks UnlockTimers
	Revoked *auth.Revocations
	Now     func() time.Time
}

// Handle changes the password.
func (h ChangePassword) Handle(ctx context.Context, cmd ChangePasswordCmd) (uint64, error) {
	p := cmd.Principal
	var errs []apperr.FieldError
	checkPassword(h.Policy, "new_password", cmd.Next, &errs)
	if len(errs) > 0 {
		return 0, apperr.Validation(errs...)
	}
	hash, err := h.Creds.Get(ctx, p.UserID)
	if err != nil {
		return 0, err
	}
	if err := h.reauthenticate(ctx, p, hash, cmd.Current, cmd.Client); err != nil {
		return 0, err
	}
	newHash, err := h.Hasher.Hash(cmd.Next)
	if err != nil {
		return 0, err
	}
	if err := h.Creds.Put(ctx, p.UserID, newHash); err != nil {
		return 0, err
	}
	_, res, err := eventstore.Update(ctx, h.Store, userRef(p.Tenant(), p.UserID), eventstore.EventsOnly(func(u *user.User) ([]events.Event, error) {
		return u.PasswordChanged(h.Now(), "self", p.SessionID)
	}))
	if err != nil {
		return 0, err
	}
	remember(h.Revoked, res)
	return res.Position, nil
}

// reauthenticate checks the caller's current password and records the
// decision on the account: a failure, a lock, or an expired lock's end.
func (h ChangePassword) reauthenticate(ctx context.Context, p auth.Principal, hash []byte, password string, client auth.Client) error {
	ok, _, err := h.Hasher.Check(ctx, hash, password)
	if err != nil {
		return err
	}
	out, res, err := eventstore.UpdateContended(ctx, h.Store, userRef(p.Tenant(), p.UserID), loginAttempts, func(u *user.User) (user.Outcome, []events.Event, error) {
		if !u.Exists() {
			return user.Outcome{}, nil, apperr.NotFound("user")
		}
		out, evs := u.Reauthenticate(h.Now(), lockout(h.Policy), user.Attempt{PasswordOK: ok, IP: client.IP, UserAgent: client.UserAgent})
		return out, evs, nil
	})
	if err != nil {
		return err
	}
	remember(h.Revoked, res)
	h.Unlocks.schedule(ctx, res, out.LockEnds)
	if !out.OK {
		return ErrWrongCurrentPassword
	}
	return nil
}
