package session

import (
	"slices"
	"time"

	"github.com/chatbotsaas/chatbot/events"
)

// Refresh decides on an exchange of the token presented for the token
// next. A token of the current generation starts the next generation; one
// of the previous generation within grace (racing clients) adds a sibling
// to the current one; any other token of the family revokes the session.
// A token that proves no membership is refused without harm.
func (s *Session) Refresh(now time.Time, p Presented, next Next, grace, idle time.Duration, ip, ua string) ([]events.Event, Outcome) {
	if !s.Live(now) || !s.member(p) {
		return nil, Refused
	}
	rotate := func(gen uint64) []events.Event {
		d := events.RefreshTokenRotatedData{TokenHash: next.Hash, PreviousHash: p.Hash, Generation: gen, IdleTTLSeconds: int64(idle / time.Second)}
		if s.FamilyHash == "" {
			d.FamilyHash = next.FamilyHash
		}
		return []events.Event{{Type: events.RefreshTokenRotated, Data: d}}
	}
	switch {
	case slices.Contains(s.Current, p.Hash):
		return rotate(s.NextGeneration(p)), Rotated
	case slices.Contains(s.Previous, p.Hash) && now.Sub(s.PreviousAt) < grace:
		if len(s.Current) >= maxSiblings {
			return nil, Refused
		}
		return rotate(s.NextGeneration(p)), Rotated
	}
	return []events.Event{
		{Type: events.RefreshTokenReuseDetected, Data: events.RefreshTokenReuseDetectedData{UserID: s.UserID, IP: ip, UserAgent: ua}},
		{Type: events.SessionRevoked, Data: events.SessionRevokedData{Reason: "reuse"}},
	}, Reused
}

// NextGeneration is the generation of the token a rotation from p mints:
// the next one from a current token, the current one (a sibling) otherwise.
func (s *Session) NextGeneration(p Presented) uint64 {
	if slices.Contains(s.Current, p.Hash) {
		return s.Generation + 1
	}
	return s.Generation
}

// member reports whether p is a token of this session's family: it carries
// the family secret, or (for a token minted before families) the session
// still knows its hash.
func (s *Session) member(p Presented) bool {
	if s.FamilyHash != "" && p.FamilyHash == s.FamilyHash {
		return true
	}
	return slices.Contains(s.Current, p.Hash) || slices.Contains(s.Previous, p.Hash)
}

// Revoke ends the session (logout); an ended one needs nothing.
func (s *Session) Revoke(reason string) []events.Event {
	if !s.Exists() || s.Revoked {
		return nil
	}
	return []events.Event{{Type: events.SessionRevoked, Data: events.SessionRevokedData{Reason: reason}}}
}
