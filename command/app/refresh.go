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

// ErrInvalidRefreshToken answers every refused refresh.
var ErrInvalidRefreshToken = apperr.New(apperr.KindUnauthenticated, "invalid_refresh_token", "the refresh token is not valid")

// RefreshCmd spends a refresh token.
type RefreshCmd struct {
	Token  string
	Client auth.Client
}

// Refresh spends a refresh token for a new pair. A token of the session's
// family that is neither current nor, within grace, of the previous
// generation revokes the whole session.
type Refresh struct {
	Store    *eventstore.Store
	Sessions Sessions
	Revoked  *auth.Revocations
}

// Handle spends the token.
func (h Refresh) Handle(ctx context.Context, cmd RefreshCmd) (TokenPair, error) {
	t, ok := parseRefreshToken(cmd.Token)
	if !ok {
		return TokenPair{}, ErrInvalidRefreshToken
	}
	ref := sessionRef(t.tenant, t.session)
	var s session.Session
	if _, err := h.Store.Load(ctx, ref, &s); err != nil || !s.Exists() {
		return TokenPair{}, ErrInvalidRefreshToken
	}
	// A refresh token acts for the user its session belongs to.
	ctx = events.WithActor(ctx, events.UserActor(s.UserID))
	var u user.User
	if _, err := h.Store.Load(ctx, userRef(t.tenant, s.UserID), &u); err != nil {
		return TokenPair{}, err
	}
	if u.Status != user.StatusActive || !u.SessionValid(t.session, s.StartedAt) {
		return TokenPair{}, ErrInvalidRefreshToken
	}
	if suspended, err := companySuspended(ctx, h.Store, t.tenant); err != nil || suspended {
		return TokenPair{}, ErrInvalidRefreshToken
	}

	pol := h.Sessions.Policy.Get()
	presented := t.presented()
	family := t.family
	if family == "" { // a token minted before families: its session gets one now
		var err error
		if family, err = newFamily(); err != nil {
			return TokenPair{}, err
		}
	}
	type rotation struct {
		outcome session.Outcome
		token   string // the new refresh token, when rotated
	}
	rot, res, err := eventstore.Update(ctx, h.Store, ref, func(s *session.Session) (rotation, []events.Event, error) {
		token, hash, err := mintRefreshToken(t.tenant, t.session, s.NextGeneration(presented), family)
		if err != nil {
			return rotation{}, nil, err
		}
		evs, o := s.Refresh(h.Sessions.Now(), presented, session.Next{Hash: hash, FamilyHash: hashToken(family)},
			pol.RefreshReuseGrace, pol.RefreshIdleTTL, cmd.Client.IP, cmd.Client.UserAgent)
		return rotation{outcome: o, token: token}, evs, nil
	})
	if err != nil {
		return TokenPair{}, err
	}
	remember(h.Revoked, res)
	if rot.outcome != session.Rotated {
		return TokenPair{}, ErrInvalidRefreshToken
	}
	return h.Sessions.pair(u, t.session, rot.token)
}
