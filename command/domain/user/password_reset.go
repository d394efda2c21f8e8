package user

import (
	"time"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// ErrInvalidResetToken answers a reset with a token that is unknown, spent
// or expired: one answer for all three.
var ErrInvalidResetToken = apperr.New(apperr.KindInvalid, "invalid_reset_token", "the reset token is unknown, used or expired")

// ResetToken is a reset link not spent yet.
type ResetToken struct {
	RequestID   string    `json:"request_id"`
	Hash        string    `json:"hash"`
	RequestedAt time.Time `json:"requested_at"`
	ExpiresAt   time.Time `json:"expires_at"`
}

// ResetRequest is what a request for a reset link decides with.
type ResetRequest struct {
	RequestID, TokenHash string
	TTL                  time.Duration
	MaxPerHour           int // links mailed per account and hour
}

// RequestPasswordReset records a reset link for an active account, at
// most MaxPerHour an hour: beyond, and for another account, nothing (the
// caller answers the same either way).
func (u *User) RequestPasswordReset(now time.Time, r ResetRequest) []events.Event {
	if u.Status != StatusActive {
		return nil
	}
	recent := 0
	for _, t := range u.ResetTokens {
		if now.Sub(t.RequestedAt) < time.Hour {
			recent++
		}
	}
	if recent >= r.MaxPerHour {
		return nil
	}
	return []events.Event{{Type: events.PasswordResetRequested, Data: events.PasswordResetRequestedData{
		RequestID: r.RequestID, TokenHash: r.TokenHash, ExpiresAt: now.Add(r.TTL),
	}}}
}

// ResetPassword spends the token whose hash is tokenHash: the password
// changes (by reset), every session ends and any lock, permanent too, is
// lifted.
func (u *User) ResetPassword(now time.Time, tokenHash string) ([]events.Event, error) {
	for _, t := range u.ResetTokens {
		if tokenHash == "" || t.Hash != tokenHash {
			continue
		}
		if !now.Before(t.ExpiresAt) || !u.Exists() {
			break
		}
		changed, err := u.PasswordChanged(now, "reset", "")
		if err != nil {
			return nil, err
		}
		spent := events.Event{Type: events.PasswordResetCompleted, Data: events.PasswordResetCompletedData{RequestID: t.RequestID, TokenHash: t.Hash}}
		return append([]events.Event{spent}, changed...), nil
	}
	return nil, ErrInvalidResetToken
}

// applyReset folds the reset events: a link is kept while it is valid or
// was asked within the hour (the hourly bound counts it), spent or not.
func (u *User) applyReset(at time.Time, data any) {
	switch d := data.(type) {
	case *events.PasswordResetRequestedData:
		kept := u.ResetTokens[:0]
		for _, t := range u.ResetTokens {
			if at.Sub(t.RequestedAt) < time.Hour || at.Before(t.ExpiresAt) {
				kept = append(kept, t)
			}
		}
		u.ResetTokens = append(kept, ResetToken{RequestID: d.RequestID, Hash: d.TokenHash, RequestedAt: at, ExpiresAt: d.ExpiresAt})
	case *events.PasswordResetCompletedData:
		for i, t := range u.ResetTokens {
			if t.Hash == d.TokenHash {
				u.ResetTokens[i].Hash = "" // spent: it still counts toward the hourly bound
			}
		}
	case *events.PasswordChangedData:
		// A new password voids the links asked before it.
		for i := range u.ResetTokens {
			u.ResetTokens[i].Hash = ""
		}
	}
}
