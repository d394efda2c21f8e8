package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
)

// MACer authenticates messages under a key of the platform's (pii.Vault).
type MACer interface {
	MAC(purpose string, msg []byte) []byte
}

// ResetToken is the password reset token of a request:
// <tenant>.<user>.<MAC of the three>. Only its hash is stored; the process
// that mails it makes it again from the request, as the one that recorded
// the request did.
func ResetToken(m MACer, tenant, userID, requestID string) string {
	mac := m.MAC("password-reset", []byte(tenant+"/"+userID+"/"+requestID))
	return tenant + "." + userID + "." + base64.RawURLEncoding.EncodeToString(mac)
}

// ParseResetToken returns the account a token names; it proves nothing
// until its hash is found on that account.
func ParseResetToken(token string) (tenant, userID string, ok bool) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return "", "", false
	}
	return parts[0], parts[1], true
}

// HashResetToken is the stored form of a token: a 256-bit MAC needs no slow hash.
func HashResetToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
