// Package session is the session aggregate: one login's family of refresh
// tokens, rotated on every use, revoked whole when a superseded token
// returns. It is pure: callers pass the clock and the token hashes in.
//
// Reuse is told by generation, not by a memory of spent tokens: every
// rotation starts a new generation, and a token of the family that belongs
// to neither the current generation nor, within the grace window, the
// previous one was superseded, however many rotations ago. Every token of a
// family carries the family's secret, whose hash the session keeps, so a
// token proves its membership without the session remembering it; a string
// that merely names the session proves nothing and revokes nothing.
package session

import (
	"slices"
	"time"

	"github.com/chatbotsaas/chatbot/events"
)

// maxSiblings bounds the tokens one generation may hold: a token of the
// previous generation presented within grace (racing clients) adds a
// sibling to the current generation rather than a new generation.
const maxSiblings = 16

// Session is the state of one session.
type Session struct {
	ID         string `json:"id"`
	UserID     string `json:"user_id"`
	FamilyHash string `json:"family_hash,omitempty"` // empty for a session opened before families
	Generation uint64 `json:"generation"`
	// Current holds the hashes of the current generation's tokens, Previous
	// those of the generation before, superseded at PreviousAt.
	Current    []string      `json:"current"`
	Previous   []string      `json:"previous,omitempty"`
	PreviousAt time.Time     `json:"previous_at"`
	StartedAt  time.Time     `json:"started_at"`
	ExpiresAt  time.Time     `json:"expires_at"`
	LastUsedAt time.Time     `json:"last_used_at"`
	IdleTTL    time.Duration `json:"idle_ttl"`
	Revoked    bool          `json:"revoked"`
}

// SnapshotVersion changes with the state's shape, so older snapshots are
// replayed rather than misread.
func (s *Session) SnapshotVersion() int { return 2 }

// Apply folds one event into the state.
func (s *Session) Apply(e events.Envelope, data any) {
	switch d := data.(type) {
	case *events.SessionStartedData:
		s.ID, s.UserID, s.FamilyHash, s.Current = e.AggregateID, d.UserID, d.FamilyHash, []string{d.TokenHash}
		s.StartedAt, s.LastUsedAt, s.ExpiresAt = e.OccurredAt, e.OccurredAt, d.ExpiresAt
		s.IdleTTL = time.Duration(d.IdleExpiry) * time.Second
	case *events.RefreshTokenRotatedData:
		s.applyRotation(e.OccurredAt, d)
	case *events.RefreshTokenReuseDetectedData, *events.SessionRevokedData:
		s.Revoked = true
	}
}

func (s *Session) applyRotation(at time.Time, d *events.RefreshTokenRotatedData) {
	gen := d.Generation
	if gen == 0 { // written before generations: spending a current token started one
		gen = s.Generation
		if slices.Contains(s.Current, d.PreviousHash) {
			gen++
		}
	}
	if gen > s.Generation {
		s.Previous, s.PreviousAt, s.Current, s.Generation = s.Current, at, []string{d.TokenHash}, gen
	} else {
		s.Current = append(s.Current, d.TokenHash)
	}
	if d.FamilyHash != "" {
		s.FamilyHash = d.FamilyHash
	}
	s.LastUsedAt = at
	s.IdleTTL = time.Duration(d.IdleTTLSeconds) * time.Second
}

// Exists reports whether the session was started.
func (s *Session) Exists() bool { return s.UserID != "" }

// Live reports whether the session may still be used at now.
func (s *Session) Live(now time.Time) bool {
	return s.Exists() && !s.Revoked && now.Before(s.ExpiresAt) && now.Before(s.LastUsedAt.Add(s.IdleTTL))
}

// Start opens the session: familyHash is the hash of the secret every token
// of the family carries, tokenHash the hash of the first token.
func Start(userID, role, familyHash, tokenHash string, now time.Time, idle, absolute time.Duration, ip, ua string) []events.Event {
	return []events.Event{{Type: events.SessionStarted, Data: events.SessionStartedData{
		UserID: userID, Role: role, FamilyHash: familyHash, TokenHash: tokenHash, ExpiresAt: now.Add(absolute),
		IP: ip, UserAgent: ua, IdleExpiry: int64(idle / time.Second),
	}}}
}

// Presented is a refresh token as the session sees it: the hash of the
// whole token and the hash of its family secret (empty for a token minted
// before families).
type Presented struct {
	Hash       string
	FamilyHash string
}

// Next is the token a rotation mints: its hash and, when the session has no
// family yet, the hash of the family secret it starts.
type Next struct {
	Hash       string
	FamilyHash string
}

// Outcome of a refresh.
type Outcome int

const (
	Rotated Outcome = iota // a new token was minted
	Refused                // unknown, expired or revoked: nothing happens
	Reused                 // a superseded token came back: the session is revoked
)
