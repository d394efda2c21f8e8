package events

import "time"

// Password reset events, on the user aggregate.
const (
	PasswordResetRequested = "PasswordResetRequested"
	PasswordResetCompleted = "PasswordResetCompleted"
)

// PasswordResetRequestedData: a reset link was asked for the account. The
// token is never stored: only its hash, to check it, and the request's id,
// from which the mail task makes the same token again (under a key of the
// platform's). A request over the hourly bound appends nothing.
type PasswordResetRequestedData struct {
	RequestID string    `json:"request_id"`
	TokenHash string    `json:"token_hash" audit:"secret"`
	ExpiresAt time.Time `json:"expires_at"`
}

// PasswordResetCompletedData: a reset token was spent (it works once); the
// new password, the lifted lock and the revoked sessions follow.
type PasswordResetCompletedData struct {
	RequestID string `json:"request_id"`
	TokenHash string `json:"token_hash" audit:"secret"`
}

func init() {
	Register[PasswordResetRequestedData](Default, PasswordResetRequested, 1, "a password reset link was asked for the account (the token's hash, never the token)")
	Register[PasswordResetCompletedData](Default, PasswordResetCompleted, 1, "a password reset token was spent; the password change, unlock and revocation follow")
	Default.Owns(AggregateUser, PasswordResetRequested, PasswordResetCompleted)
}
