package app

import (
	"context"
	"strings"

	"github.com/chatbotsaas/chatbot/command/domain/session"
	"github.com/chatbotsaas/chatbot/command/domain/user"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// ErrInvalidRefreshToken answers every refused refresh.
var ErrInvalidRefreshToken = apperr.New(apperr.KindUnauthenticated, "invalid_refresh_token", "the refresh token is not valid")

// Refresh spends a refresh token for a new pair. A spent token used again
// after the grace window revokes the whole session.
func (id *Identity) Refresh(ctx context.Context, token string, client auth.Client) (TokenPair, error) {
	parts := strings.Split(token, ".")
	if len(token) > 256 || len(parts) != 3 || !events.ValidToken(parts[0]) || !events.ValidToken(parts[1]) {
		return TokenPair{}, ErrInvalidRefreshToken
	}
	tenant, sessionID := parts[0], parts[1]
	ref := eventstore.Ref{Tenant: tenant, Type: events.AggregateSession, ID: sessionID}
	var s session.Session
	if _, err := id.store.Load(ctx, ref, &s); err != nil || !s.Exists() {
		return TokenPair{}, ErrInvalidRefreshToken
	}
	// A refresh token acts for the user its session belongs to.
	ctx = events.WithActor(ctx, events.UserActor(s.UserID))
	var u user.User
	if _, err := id.store.Load(ctx, userRef(tenant, s.UserID), &u); err != nil {
		return TokenPair{}, err
	}
	if u.Status != user.StatusActive || !u.SessionValid(sessionID, s.StartedAt) {
		return TokenPair{}, ErrInvalidRefreshToken
	}
	if suspended, err := id.companySuspended(ctx, tenant); err != nil || suspended {
		return TokenPair{}, ErrInvalidRefreshToken
	}

	pol := id.policy.Get()
	next, nextHash, err := newRefreshToken(tenant, sessionID)
	if err != nil {
		return TokenPair{}, err
	}
	presented := hashToken(token)
	var outcome session.Outcome
	res, err := eventstore.Update(ctx, id.store, ref, func(s *session.Session) ([]events.Event, error) {
		evs, o := s.Refresh(id.now(), presented, nextHash, pol.RefreshReuseGrace, pol.RefreshIdleTTL, client.IP, client.UserAgent)
		outcome = o
		return evs, nil
	})
	if err != nil {
		return TokenPair{}, err
	}
	id.remember(res)
	if outcome != session.Rotated {
		return TokenPair{}, ErrInvalidRefreshToken
	}
	return id.pair(u, sessionID, next)
}
