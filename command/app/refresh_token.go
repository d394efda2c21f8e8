package app

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/chatbotsaas/chatbot/command/domain/session"
	"github.com/chatbotsaas/chatbot/events"
)

// A refresh token reads <tenant>.<session>.<generation>.<family>.<secret>:
// the family secret is shared by every token of one session and proves a
// token belongs to it; the secret is the token's own 256 random bits. Only
// SHA-256 hashes of the whole token and of the family secret are stored.
// Tokens minted before families read <tenant>.<session>.<secret>.
type refreshToken struct {
	tenant, session string
	family          string // empty for a token minted before families
	raw             string
}

// maxRefreshToken bounds what is parsed and hashed at all.
const maxRefreshToken = 256

func parseRefreshToken(token string) (refreshToken, bool) {
	parts := strings.Split(token, ".")
	if len(token) > maxRefreshToken || (len(parts) != 3 && len(parts) != 5) {
		return refreshToken{}, false
	}
	for _, p := range parts {
		if !events.ValidToken(p) {
			return refreshToken{}, false
		}
	}
	t := refreshToken{tenant: parts[0], session: parts[1], raw: token}
	if len(parts) == 5 {
		// The generation is part of what is hashed; the session knows its own.
		if _, err := strconv.ParseUint(parts[2], 10, 64); err != nil {
			return refreshToken{}, false
		}
		t.family = parts[3]
	}
	return t, true
}

// presented is what the session decides on: hashes only.
func (t refreshToken) presented() session.Presented {
	p := session.Presented{Hash: hashToken(t.raw)}
	if t.family != "" {
		p.FamilyHash = hashToken(t.family)
	}
	return p
}

// newFamily makes a family secret (128 random bits).
func newFamily() (string, error) { return randomText(16) }

// mintRefreshToken makes the token of generation gen in family.
func mintRefreshToken(tenant, sessionID string, gen uint64, family string) (token, hash string, err error) {
	secret, err := randomText(32)
	if err != nil {
		return "", "", err
	}
	token = strings.Join([]string{tenant, sessionID, strconv.FormatUint(gen, 10), family, secret}, ".")
	return token, hashToken(token), nil
}

func randomText(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
