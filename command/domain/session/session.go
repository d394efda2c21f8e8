// Package session is the session aggregate: one login's family of refresh
// tokens, rotated on every use, revoked whole when a spent token returns.
// It is pure: callers pass the clock and the token hashes in.
package session

import (
	"time"

	"github.com/chatbotsaas/chatbot/events"
)

// keepSpent is how many spent token hashes a session remembers to detect
// their reuse.
const keepSpent = 20

// Spent is a refresh token that was exchanged.
type Spent struct {
	Hash string    `json:"hash"`
	At   time.Time `json:"at"`
}

// Session is the state of one session.
type Session struct {
	ID         string        `json:"id"`
	UserID     string        `json:"user_id"`
	Current    string        `json:"current"`
	Spent      []Spent       `json:"spent,omitempty"`
	StartedAt  time.Time     `json:"started_at"`
	ExpiresAt  time.Time     `json:"expires_at"`
	LastUsedAt time.Time     `json:"last_used_at"`
	IdleTTL    time.Duration `json:"idle_ttl"`
	Revoked    bool          `json:"revoked"`
}

// Apply folds one event into the state.
func (s *Session) Apply(e events.Envelope, data any) {
	switch d := data.(type) {
	case *events.SessionStartedData:
		s.ID, s.UserID, s.Current = e.AggregateID, d.UserID, d.TokenHash
		s.StartedAt, s.LastUsedAt, s.ExpiresAt = e.OccurredAt, e.OccurredAt, d.ExpiresAt
		s.IdleTTL = time.Duration(d.IdleExpiry) * time.Second
	case *events.RefreshTokenRotatedData:
		s.Spent = append(s.Spent, Spent{Hash: d.PreviousHash, At: e.OccurredAt})
		if d.PreviousHash != s.Current {
			s.Spent = append(s.Spent, Spent{Hash: s.Current, At: e.OccurredAt})
		}
		if len(s.Spent) > keepSpent {
			s.Spent = s.Spent[len(s.Spent)-keepSpent:]
		}
		s.Current, s.LastUsedAt = d.TokenHash, e.OccurredAt
		s.IdleTTL = time.Duration(d.IdleTTLSeconds) * time.Second
	case *events.RefreshTokenReuseDetectedData, *events.SessionRevokedData:
		s.Revoked = true
	}
}

// Exists reports whether the session was started.
func (s *Session) Exists() bool { return s.UserID != "" }

// Live reports whether the session may still be used at now.
func (s *Session) Live(now time.Time) bool {
	return s.Exists() && !s.Revoked && now.Before(s.ExpiresAt) && now.Before(s.LastUsedAt.Add(s.IdleTTL))
}

// Start opens the session.
func Start(userID, role, tokenHash string, now time.Time, idle, absolute time.Duration, ip, ua string) []events.Event {
	return []events.Event{{Type: events.SessionStarted, Data: events.SessionStartedData{
		UserID: userID, Role: role, TokenHash: tokenHash, ExpiresAt: now.Add(absolute),
		IP: ip, UserAgent: ua, IdleExpiry: int64(idle / time.Second),
	}}}
}

// Outcome of a refresh.
type Outcome int

const (
	Rotated Outcome = iota // a new token was minted
	Refused                // unknown, expired or revoked: nothing happens
	Reused                 // a spent token came back: the session is revoked
)

// Refresh decides on an exchange of the token hashed presented for the
// token hashed next. The current token, or a spent one within grace (racing
// clients), rotates; a spent one after grace revokes the session.
func (s *Session) Refresh(now time.Time, presented, next string, grace, idle time.Duration, ip, ua string) ([]events.Event, Outcome) {
	if !s.Live(now) {
		return nil, Refused
	}
	rotate := []events.Event{{Type: events.RefreshTokenRotated, Data: events.RefreshTokenRotatedData{
		TokenHash: next, PreviousHash: presented, IdleTTLSeconds: int64(idle / time.Second),
	}}}
	if presented == s.Current {
		return rotate, Rotated
	}
	for _, sp := range s.Spent {
		if sp.Hash != presented {
			continue
		}
		if now.Sub(sp.At) < grace {
			return rotate, Rotated
		}
		return []events.Event{
			{Type: events.RefreshTokenReuseDetected, Data: events.RefreshTokenReuseDetectedData{UserID: s.UserID, IP: ip, UserAgent: ua}},
			{Type: events.SessionRevoked, Data: events.SessionRevokedData{Reason: "reuse"}},
		}, Reused
	}
	return nil, Refused
}

// Revoke ends the session (logout); an ended one needs nothing.
func (s *Session) Revoke(reason string) []events.Event {
	if !s.Exists() || s.Revoked {
		return nil
	}
	return []events.Event{{Type: events.SessionRevoked, Data: events.SessionRevokedData{Reason: reason}}}
}
