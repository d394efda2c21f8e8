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
// the first refresh token (a 256-bit random secret, never stored in clear).
type SessionStartedData struct {
	UserID     string    `json:"user_id"`
	Role       string    `json:"role"`
	TokenHash  string    `json:"token_hash" audit:"secret"`
	ExpiresAt  time.Time `json:"expires_at"` // absolute expiry
	IP         string    `json:"ip"`
	UserAgent  string    `json:"user_agent"`
	IdleExpiry int64     `json:"idle_ttl_seconds"`
}

// RefreshTokenRotatedData: a refresh token was spent for a new one.
type RefreshTokenRotatedData struct {
	TokenHash      string `json:"token_hash" audit:"secret"`
	PreviousHash   string `json:"previous_hash" audit:"secret"`
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
	Register[SessionStartedData](Default, SessionStarted, 1, "a login opened a session (a refresh token family)")
	Register[RefreshTokenRotatedData](Default, RefreshTokenRotated, 1, "a refresh token was spent for a new one")
	Register[RefreshTokenReuseDetectedData](Default, RefreshTokenReuseDetected, 1, "a spent refresh token was used again; the session is revoked")
	Register[SessionRevokedData](Default, SessionRevoked, 1, "the session ended: logout or reuse")
}

// Personal fields, sealed under the key of the session's user (see
// UserRegisteredData).

func (d *SessionStartedData) PersonalFields() []*string { return []*string{&d.IP, &d.UserAgent} }
func (d *SessionStartedData) PersonalSubject() string   { return d.UserID }
func (d *RefreshTokenReuseDetectedData) PersonalFields() []*string {
	return []*string{&d.IP, &d.UserAgent}
}
func (d *RefreshTokenReuseDetectedData) PersonalSubject() string { return d.UserID }
