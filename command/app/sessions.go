package app

import (
	"time"

	"github.com/chatbotsaas/chatbot/command/domain/session"
	"github.com/chatbotsaas/chatbot/command/domain/user"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/shared/auth"
	"github.com/chatbotsaas/chatbot/shared/policy"
)

// Sessions mint what a session hands its user: the refresh token that
// starts it and the access tokens it issues.
type Sessions struct {
	Tokens *auth.Tokens
	Policy *policy.Holder
	Now    func() time.Time
}

// opening is a session about to start: its events and its first refresh token.
type opening struct {
	started eventstore.Started
	refresh string
}

// open makes the session sessionID of u, not yet stored.
func (s Sessions) open(tenant, sessionID string, u user.User, client auth.Client) (opening, error) {
	pol := s.Policy.Get()
	family, err := newFamily()
	if err != nil {
		return opening{}, err
	}
	refresh, refreshHash, err := mintRefreshToken(tenant, sessionID, 0, family)
	if err != nil {
		return opening{}, err
	}
	evs := session.Start(u.ID, u.Role, hashToken(family), refreshHash, s.Now(), pol.RefreshIdleTTL, pol.RefreshAbsoluteTTL, client.IP, client.UserAgent)
	return opening{started: eventstore.Started{Ref: sessionRef(tenant, sessionID), Events: evs}, refresh: refresh}, nil
}

// pair issues an access token for the session beside its refresh token.
func (s Sessions) pair(u user.User, sessionID, refresh string) (TokenPair, error) {
	ttl := s.Policy.Get().AccessTTL
	access, err := s.Tokens.Issue(auth.Principal{UserID: u.ID, SessionID: sessionID, Role: u.Role, CompanyID: u.CompanyID}, ttl)
	if err != nil {
		return TokenPair{}, err
	}
	return TokenPair{AccessToken: access, RefreshToken: refresh, TokenType: "Bearer", ExpiresIn: int64(ttl.Seconds())}, nil
}
