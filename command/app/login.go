package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/chatbotsaas/chatbot/command/domain/company"
	"github.com/chatbotsaas/chatbot/command/domain/user"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
	"github.com/chatbotsaas/chatbot/shared/policy"
)

// ErrInvalidCredentials is the one answer to every failed login: unknown
// email, wrong password, locked or disabled account alike.
var ErrInvalidCredentials = apperr.New(apperr.KindUnauthenticated, "invalid_credentials", "the email or password is wrong")

// loginAttempts bounds the decisions of one login on a contended account:
// every racing attempt must be decided, none answered with a conflict.
const loginAttempts = 200

// LoginCmd is a login attempt.
type LoginCmd struct {
	Email, Password string
	Client          auth.Client
}

// Login checks the password, decides on the account (lockout included)
// and, on success, opens a session: LoginSucceeded and SessionStarted are
// appended in one atomic batch, so no success is recorded for a session
// that never started, nor a session without its success.
type Login struct {
	Store    *eventstore.Store
	Creds    *Credentials
	Hasher   *auth.Hasher
	Policy   *policy.Holder
	Sessions Sessions
	Unlocks  UnlockTimers
	Now      func() time.Time
}

// loginDecision is what the account decided on the attempt.
type loginDecision struct {
	user.Outcome
	account user.User
}

// Handle runs the login.
func (h Login) Handle(ctx context.Context, cmd LoginCmd) (TokenPair, error) {
	owner, err := h.Store.Owner(ctx, "email", NormalizeEmail(cmd.Email))
	if err != nil {
		return TokenPair{}, err
	}
	tenant, userID, known := parseReservation(owner)
	var hash []byte
	if known {
		if hash, err = h.Creds.Get(ctx, userID); err != nil {
			return TokenPair{}, err
		}
	}
	// The compare runs whatever the account's state, so every failure costs the same.
	ok, rehash, err := h.Hasher.Check(ctx, hash, cmd.Password)
	if err != nil {
		return TokenPair{}, err // shed: the account's record is untouched
	}
	if !known || hash == nil {
		h.Store.Metrics().CountLogin(eventstore.LoginUnknownEmail)
		return TokenPair{}, ErrInvalidCredentials
	}
	// The attempt acts in the name of the account it names: LoginFailed
	// included, whose type says the claim was not proven.
	ctx = events.WithActor(ctx, events.UserActor(userID))
	suspended, err := companySuspended(ctx, h.Store, tenant)
	if err != nil {
		return TokenPair{}, err
	}
	sessionID := newID(ctx)
	attempt := user.Attempt{PasswordOK: ok, Suspended: suspended, SessionID: sessionID, IP: cmd.Client.IP, UserAgent: cmd.Client.UserAgent}
	var opened opening
	d, res, err := eventstore.UpdateStarting(ctx, h.Store, userRef(tenant, userID), loginAttempts,
		func(u *user.User) (loginDecision, []events.Event, error) {
			if !u.Exists() {
				return loginDecision{}, nil, nil
			}
			out, evs := u.Login(h.Now(), lockout(h.Policy), attempt)
			return loginDecision{Outcome: out, account: *u}, evs, nil
		},
		func(d loginDecision) (eventstore.Started, error) {
			if !d.OK {
				return eventstore.Started{}, nil
			}
			var err error
			opened, err = h.Sessions.open(tenant, sessionID, d.account, cmd.Client)
			return opened.started, err
		})
	if err != nil {
		return TokenPair{}, err
	}
	h.Unlocks.schedule(ctx, res, d.LockEnds)
	if !d.OK {
		return TokenPair{}, ErrInvalidCredentials
	}
	if rehash {
		h.rehash(ctx, userID, cmd.Password)
	}
	return h.Sessions.pair(d.account, sessionID, opened.refresh)
}

// rehash stores the password's hash at the current cost; the login
// succeeded whatever happens here.
func (h Login) rehash(ctx context.Context, userID, password string) {
	newHash, err := h.Hasher.Hash(password)
	if err == nil {
		err = h.Creds.Put(ctx, userID, newHash)
	}
	if err != nil {
		slog.WarnContext(ctx, "password hash not brought to the current cost", "user", userID, "err", err)
	}
}

// lockout is the lockout policy in force.
func lockout(pol *policy.Holder) user.Lockout {
	p := pol.Get()
	return user.Lockout{MaxFailures: p.MaxFailures, Window: p.FailureWindow, LockFor: p.LockFor, MaxTemporaryLocks: p.MaxTemporaryLocks}
}

// companySuspended reports whether the company of tenant is suspended;
// the platform tenant never is.
func companySuspended(ctx context.Context, store *eventstore.Store, tenant string) (bool, error) {
	if tenant == events.PlatformTenant {
		return false, nil
	}
	var c company.Company
	if _, err := store.Load(ctx, companyRef(tenant), &c); err != nil {
		return false, err
	}
	return c.Exists() && !c.Active(), nil
}
