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
// one; every other session of the caller is revoked. The check counts
// toward the account's lockout as a login does, so a stolen access token
// cannot guess the password.
func (id *Identity) ChangePassword(ctx context.Context, p auth.Principal, current, next string, client auth.Client) (uint64, error) {
	var errs []apperr.FieldError
	id.checkPassword("new_password", next, &errs)
	if len(errs) > 0 {
		return 0, apperr.Validation(errs...)
	}
	hash, err := id.loadHash(ctx, p.UserID)
	if err != nil {
		return 0, err
	}
	if err := id.reauthenticate(ctx, p, hash, current, client); err != nil {
		return 0, err
	}
	newHash, err := id.hasher.Hash(next)
	if err != nil {
		return 0, err
	}
	if err := id.storeHash(ctx, p.UserID, newHash); err != nil {
		return 0, err
	}
	_, res, err := eventstore.Update(ctx, id.store, userRef(p.Tenant(), p.UserID), eventstore.EventsOnly(func(u *user.User) ([]events.Event, error) {
		return u.PasswordChanged(id.now(), "self", p.SessionID)
	}))
	if err != nil {
		return 0, err
	}
	id.remember(res)
	return res.Position, nil
}

// reauthenticate checks the caller's current password and records the
// decision on the account: a failure, a lock, or an expired lock's end.
func (id *Identity) reauthenticate(ctx context.Context, p auth.Principal, hash []byte, password string, client auth.Client) error {
	ok, _, err := id.hasher.Check(ctx, hash, password)
	if err != nil {
		return err
	}
	pol := id.policy.Get()
	lockout := user.Lockout{MaxFailures: pol.MaxFailures, Window: pol.FailureWindow, LockFor: pol.LockFor, MaxTemporaryLocks: pol.MaxTemporaryLocks}
	out, res, err := eventstore.UpdateContended(ctx, id.store, userRef(p.Tenant(), p.UserID), loginAttempts, func(u *user.User) (user.Outcome, []events.Event, error) {
		if !u.Exists() {
			return user.Outcome{}, nil, apperr.NotFound("user")
		}
		out, evs := u.Reauthenticate(id.now(), lockout, user.Attempt{PasswordOK: ok, IP: client.IP, UserAgent: client.UserAgent})
		return out, evs, nil
	})
	if err != nil {
		return err
	}
	id.remember(res)
	id.scheduleUnlock(ctx, res, out.LockEnds)
	if !out.OK {
		return ErrWrongCurrentPassword
	}
	return nil
}
