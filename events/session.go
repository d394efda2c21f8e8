package events

import (
	"encoding/json"
	"time"
)

// Session events. A session is one login's family of refresh tokens.
const (
	SessionStarted            = "SessionStarted"
	RefreshTokenRotated       = "RefreshTokenRotated"
	RefreshTokenReuseDetected = "RefreshTokenReuseDetected"
	SessionRevoked            = "SessionRevoked"
)

// SessionStartedData: a login opened a session. TokenHash is the SHA-256 of
// the first refresh token (a 256-bit random secret, never stored in clear),
// FamilyHash the SHA-256 of the family secret all its tokens carry (since
// version 2; a version 1 session has none).
type SessionStartedData struct {
	UserID     string    `json:"user_id"`
	Role       string    `json:"role"`
	FamilyHash string    `json:"family_hash,omitempty" audit:"secret"`
	TokenHash  string    `json:"token_hash" audit:"secret"`
	ExpiresAt  time.Time `json:"expires_at"` // absolute expiry
	IP         string    `json:"ip"`
	UserAgent  string    `json:"user_agent"`
	IdleExpiry int64     `json:"idle_ttl_seconds"`
}

// RefreshTokenRotatedData: a refresh token was spent for a new one.
// Generation (since version 2) is the new token's: one more than the spent
// token's, or the same when a token of the previous generation was spent
// within grace. FamilyHash is set when a session opened before families
// gets its first one.
type RefreshTokenRotatedData struct {
	TokenHash      string `json:"token_hash" audit:"secret"`
	PreviousHash   string `json:"previous_hash" audit:"secret"`
	Generation     uint64 `json:"generation,omitempty"`
	FamilyHash     string `json:"family_hash,omitempty" audit:"secret"`
	IdleTTLSeconds int64  `json:"idle_ttl_seconds"`
}

// RefreshTokenReuseDetectedData: a spent refresh token came back after the
// grace window; the session is revoked with it.
type RefreshTokenReuseDetectedData struct {
	UserID    string `json:"user_id,omitempty"`
	IP        string `json:"ip"`
	UserAgent string `json:"user_agent"`
}

// SessionRevokedData: the session ended before its expiry.
type SessionRevokedData struct {
	Reason string `json:"reason"` // logout, reuse
}

func init() {
	Register[SessionStartedData](Default, SessionStarted, 2, "a login opened a session (a refresh token family)")
	Register[RefreshTokenRotatedData](Default, RefreshTokenRotated, 2, "a refresh token was spent for a new one of the next generation")
	// Version 2 only added fields: a version 1 session has no family (its
	// tokens prove membership by their hash alone) and its rotations name
	// no generation (the session counts them).
	Default.Upcast(SessionStarted, 1, sameData)
	Default.Upcast(RefreshTokenRotated, 1, sameData)
	Register[RefreshTokenReuseDetectedData](Default, RefreshTokenReuseDetected, 1, "a spent refresh token was used again; the session is revoked")
	Register[SessionRevokedData](Default, SessionRevoked, 1, "the session ended: logout or reuse")
}

// sameData upcasts a version that the next one only extends.
func sameData(data json.RawMessage) (json.RawMessage, error) { return data, nil }

// Personal fields, sealed under the key of the session's user (see
// UserRegisteredData).

func (d *SessionStartedData) PersonalFields() []*string { return []*string{&d.IP, &d.UserAgent} }
func (d *SessionStartedData) PersonalSubject() string   { return d.UserID }
func (d *RefreshTokenReuseDetectedData) PersonalFields() []*string {
	return []*string{&d.IP, &d.UserAgent}
}
func (d *RefreshTokenReuseDetectedData) PersonalSubject() string { return d.UserID }
