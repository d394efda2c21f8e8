package app

import (
	"context"

	"github.com/chatbotsaas/chatbot/command/domain/session"
	"github.com/chatbotsaas/chatbot/command/domain/user"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// ErrInvalidCredentials is the one answer to every failed login: unknown
// email, wrong password, locked or disabled account alike.
var ErrInvalidCredentials = apperr.New(apperr.KindUnauthenticated, "invalid_credentials", "the email or password is wrong")

// loginAttempts bounds the decisions of one login on a contended account:
// every racing attempt must be decided, none answered with a conflict.
const loginAttempts = 200

// Login checks the password, decides on the account (lockout included)
// and, on success, opens a session.
func (id *Identity) Login(ctx context.Context, email, password string, client auth.Client) (TokenPair, error) {
	owner, err := id.store.Owner(ctx, "email", NormalizeEmail(email))
	if err != nil {
		return TokenPair{}, err
	}
	tenant, userID, known := parseReservation(owner)
	var hash []byte
	if known {
		if hash, err = id.loadHash(ctx, userID); err != nil {
			return TokenPair{}, err
		}
	}
	// The compare runs whatever the account's state, so every failure costs the same.
	ok, rehash, err := id.hasher.Check(ctx, hash, password)
	if err != nil {
		return TokenPair{}, err // shed: the account's record is untouched
	}
	if !known || hash == nil {
		id.CountRefusedLogin(eventstore.LoginUnknownEmail)
		return TokenPair{}, ErrInvalidCredentials
	}

	// The attempt acts in the name of the account it names: LoginFailed
	// included, whose type says the claim was not proven.
	ctx = events.WithActor(ctx, events.UserActor(userID))
	suspended, err := id.companySuspended(ctx, tenant)
	if err != nil {
		return TokenPair{}, err
	}
	pol := id.policy.Get()
	lockout := user.Lockout{MaxFailures: pol.MaxFailures, Window: pol.FailureWindow, LockFor: pol.LockFor, MaxTemporaryLocks: pol.MaxTemporaryLocks}
	sessionID := newID(ctx)
	type decided struct {
		user.Outcome
		account user.User
	}
	d, res, err := eventstore.UpdateContended(ctx, id.store, userRef(tenant, userID), loginAttempts, func(u *user.User) (decided, []events.Event, error) {
		if !u.Exists() {
			return decided{}, nil, nil
		}
		out, evs := u.Login(id.now(), lockout, user.Attempt{PasswordOK: ok, Suspended: suspended, SessionID: sessionID, IP: client.IP, UserAgent: client.UserAgent})
		return decided{Outcome: out, account: *u}, evs, nil
	})
	if err != nil {
		return TokenPair{}, err
	}
	id.scheduleUnlock(ctx, res, d.LockEnds)
	if !d.OK {
		return TokenPair{}, ErrInvalidCredentials
	}
	account := d.account
	if rehash {
		if newHash, err := id.hasher.Hash(password); err == nil {
			_ = id.storeHash(ctx, userID, newHash)
		}
	}
	return id.openSession(ctx, tenant, sessionID, account, client)
}

func (id *Identity) openSession(ctx context.Context, tenant, sessionID string, u user.User, client auth.Client) (TokenPair, error) {
	pol := id.policy.Get()
	family, err := newFamily()
	if err != nil {
		return TokenPair{}, err
	}
	refresh, refreshHash, err := mintRefreshToken(tenant, sessionID, 0, family)
	if err != nil {
		return TokenPair{}, err
	}
	ref := eventstore.Ref{Tenant: tenant, Type: events.AggregateSession, ID: sessionID}
	evs := session.Start(u.ID, u.Role, hashToken(family), refreshHash, id.now(), pol.RefreshIdleTTL, pol.RefreshAbsoluteTTL, client.IP, client.UserAgent)
	if _, err := id.store.Append(ctx, ref, eventstore.Loaded{}, evs...); err != nil {
		return TokenPair{}, err
	}
	return id.pair(u, sessionID, refresh)
}

func (id *Identity) pair(u user.User, sessionID, refresh string) (TokenPair, error) {
	ttl := id.policy.Get().AccessTTL
	access, err := id.tokens.Issue(auth.Principal{UserID: u.ID, SessionID: sessionID, Role: u.Role, CompanyID: u.CompanyID}, ttl)
	if err != nil {
		return TokenPair{}, err
	}
	return TokenPair{AccessToken: access, RefreshToken: refresh, TokenType: "Bearer", ExpiresIn: int64(ttl.Seconds())}, nil
}
