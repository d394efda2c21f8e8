package auth

import (
	"crypto/rand"
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
)

// AccessTokenType is the typ header of access tokens (RFC 9068).
const AccessTokenType = "at+jwt"

// Claims are an access token's claims.
type Claims struct {
	jwt.RegisteredClaims
	SessionID string `json:"sid"`
	Role      string `json:"role"`
	CompanyID string `json:"company_id,omitempty"`
}

// Tokens signs and verifies access tokens.
type Tokens struct {
	keys     *KeySet
	issuer   string
	audience string
	now      func() time.Time
	verified *verifiedTokens
}

// NewTokens builds the token service; now is the clock (time.Now in the product).
func NewTokens(keys *KeySet, issuer, audience string, now func() time.Time) *Tokens {
	return &Tokens{keys: keys, issuer: issuer, audience: audience, now: now, verified: newVerifiedTokens()}
}

// Keys are the keys tokens are signed and verified with.
func (t *Tokens) Keys() *KeySet { return t.keys }

// Issue signs an access token for a principal's session, valid for ttl.
func (t *Tokens) Issue(p Principal, ttl time.Duration) (string, error) {
	now := t.now()
	jti, err := uuidV7At(now)
	if err != nil {
		return "", err
	}
	claims := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: t.issuer, Audience: jwt.ClaimStrings{t.audience}, Subject: p.UserID,
			IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(ttl)), ID: jti.String(),
		},
		SessionID: p.SessionID, Role: p.Role, CompanyID: p.CompanyID,
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	tok.Header["kid"] = t.keys.signingID
	tok.Header["typ"] = AccessTokenType
	return tok.SignedString(t.keys.signing)
}

// ErrInvalidToken covers every reason a token is refused; the reason is
// never told to the client.
var ErrInvalidToken = errors.New("invalid access token")

// maxTokenBytes refuses absurd bearer strings before any parsing.
const maxTokenBytes = 4096

// Verify checks signature (EdDSA only, key by kid), typ, iss, aud and exp,
// and returns the principal and when the token was issued.
func (t *Tokens) Verify(raw string) (Principal, time.Time, error) {
	if len(raw) > maxTokenBytes {
		return Principal{}, time.Time{}, ErrInvalidToken
	}
	if v, ok := t.verified.get(raw, t.now()); ok {
		return v.principal, v.issued, nil
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(t.issuer), jwt.WithAudience(t.audience),
		jwt.WithExpirationRequired(), jwt.WithIssuedAt(), jwt.WithTimeFunc(t.now),
		jwt.WithLeeway(tokenLeeway),
	)
	var claims Claims
	tok, err := parser.ParseWithClaims(raw, &claims, func(tok *jwt.Token) (any, error) {
		if typ, _ := tok.Header["typ"].(string); typ != AccessTokenType {
			return nil, ErrInvalidToken
		}
		kid, _ := tok.Header["kid"].(string)
		pub, ok := t.keys.public[kid]
		if !ok {
			return nil, ErrInvalidToken
		}
		return pub, nil
	})
	if err != nil || !tok.Valid || claims.Subject == "" || claims.SessionID == "" || claims.Role == "" || claims.IssuedAt == nil {
		return Principal{}, time.Time{}, ErrInvalidToken
	}
	issued := claims.IssuedAt.Time
	if id, err := uuid.Parse(claims.ID); err == nil && id.Version() == 7 {
		sec, nsec := id.Time().UnixTime()
		issued = time.Unix(sec, nsec) // millisecond precision
	}
	p := Principal{UserID: claims.Subject, SessionID: claims.SessionID, Role: claims.Role, CompanyID: claims.CompanyID}
	if claims.ExpiresAt != nil {
		t.verified.put(raw, verifiedToken{principal: p, issued: issued, until: claims.ExpiresAt.Add(tokenLeeway)})
	}
	return p, issued, nil
}

// tokenLeeway is the clock skew Verify tolerates on exp and iat.
const tokenLeeway = 5 * time.Second

// uuidV7At makes a UUIDv7 whose timestamp is t, so the token id tells when
// the token was issued to the millisecond, by the same clock as iat.
func uuidV7At(t time.Time) (uuid.UUID, error) {
	var u uuid.UUID
	if _, err := rand.Read(u[6:]); err != nil {
		return u, err
	}
	ms := uint64(t.UnixMilli())
	for i := 5; i >= 0; i-- {
		u[i] = byte(ms)
		ms >>= 8
	}
	u[6] = (u[6] & 0x0f) | 0x70 // version 7
	u[8] = (u[8] & 0x3f) | 0x80 // RFC 4122 variant
	return u, nil
}
