package events

import "time"

// Session events. A session is one login's family of refresh tokens.
const (
	SessionStarted            = "SessionStarted"
	RefreshTokenRotated       = "RefreshTokenRotated"
	RefreshTokenReuseDetected = "RefreshTokenReuseDetected"
	SessionRevoked            = "SessionRevoked"
)

// SessionStartedData: a login opened a session. TokenHash is the SHA-256 of
// the first refresh token (a 256-bit random secret, never stored in clear),
// FamilyHash the SHA-256 of the family secret all its tokens carry (absent
// from sessions opened before families).
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
// Generation (absent before generations) is the new token's: one more than the spent
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
	// family_hash and generation were added as optional fields, which keeps
	// the version: a session written without them has no family (its tokens
	// prove membership by their hash alone) and its rotations name no
	// generation (the session counts them).
	Register[SessionStartedData](Default, SessionStarted, 1, "a login opened a session (a refresh token family)")
	Register[RefreshTokenRotatedData](Default, RefreshTokenRotated, 1, "a refresh token was spent for a new one of the next generation")
	Register[RefreshTokenReuseDetectedData](Default, RefreshTokenReuseDetected, 1, "a spent refresh token was used again; the session is revoked")
	Register[SessionRevokedData](Default, SessionRevoked, 1, "the session ended: logout or reuse")
	Default.Owns(AggregateSession, SessionStarted, RefreshTokenRotated, RefreshTokenReuseDetected, SessionRevoked)
}

// Personal fields, sealed under the key of the session's user (see
// UserRegisteredData).

func (d *SessionStartedData) PersonalFields() []*string { return []*string{&d.IP, &d.UserAgent} }
func (d *SessionStartedData) PersonalSubject() string   { return d.UserID }
func (d *RefreshTokenReuseDetectedData) PersonalFields() []*string {
	return []*string{&d.IP, &d.UserAgent}
}
func (d *RefreshTokenReuseDetectedData) PersonalSubject() string { return d.UserID }
