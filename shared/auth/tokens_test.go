package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func newTestTokens(t *testing.T, now *time.Time) (*Tokens, ed25519.PrivateKey) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return NewTokens(NewKeySet(priv), "chatbotd", "chatbot-api", func() time.Time { return *now }), priv
}

var alice = Principal{UserID: "u1", SessionID: "s1", Role: RoleCompany, CompanyID: "c1"}

func TestTokenRoundTrip(t *testing.T) {
	now := time.Now()
	tk, _ := newTestTokens(t, &now)
	raw, err := tk.Issue(alice, 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	p, issued, err := tk.Verify(raw)
	if err != nil || p != alice {
		t.Fatalf("got %+v %v", p, err)
	}
	if d := issued.Sub(now); d < -time.Millisecond || d > time.Millisecond {
		t.Errorf("issued %v, want %v to the millisecond", issued, now)
	}
	header := decodeSegment(t, raw, 0)
	if header["typ"] != "at+jwt" || header["alg"] != "EdDSA" || header["kid"] == "" {
		t.Errorf("header %v", header)
	}
	claims := decodeSegment(t, raw, 1)
	for _, c := range []string{"iss", "aud", "sub", "exp", "iat", "jti", "sid", "role", "company_id"} {
		if _, ok := claims[c]; !ok {
			t.Errorf("claim %s missing", c)
		}
	}
}

func decodeSegment(t *testing.T, raw string, i int) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(strings.Split(raw, ".")[i])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("segment %d of the token is not JSON: %v", i, err)
	}
	return m
}

func sign(t *testing.T, method jwt.SigningMethod, key any, header map[string]any, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(method, claims)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestForgedAndWrongTokensAreRefused(t *testing.T) {
	now := time.Now()
	tk, priv := newTestTokens(t, &now)
	pub := priv.Public().(ed25519.PublicKey)
	kid := KeyID(pub)
	good := func() jwt.MapClaims {
		return jwt.MapClaims{"iss": "chatbotd", "aud": "chatbot-api", "sub": "u1", "sid": "s1", "role": "admin",
			"iat": now.Unix(), "exp": now.Add(time.Minute).Unix(), "jti": "x"}
	}
	with := func(k string, v any) jwt.MapClaims { c := good(); c[k] = v; return c }
	without := func(k string) jwt.MapClaims { c := good(); delete(c, k); return c }
	_, otherKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	hdr := map[string]any{"kid": kid, "typ": "at+jwt"}
	noneToken := sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, hdr, good())

	cases := map[string]string{
		"alg none":                         noneToken,
		"HS256 signed with the public key": sign(t, jwt.SigningMethodHS256, []byte(pub), hdr, good()),
		"HS256 with the base64 public key": sign(t, jwt.SigningMethodHS256, []byte(base64.RawURLEncoding.EncodeToString(pub)), hdr, good()),
		"another key under our kid":        sign(t, jwt.SigningMethodEdDSA, otherKey, hdr, good()),
		"an unknown kid":                   sign(t, jwt.SigningMethodEdDSA, priv, map[string]any{"kid": "nope", "typ": "at+jwt"}, good()),
		"no kid":                           sign(t, jwt.SigningMethodEdDSA, priv, map[string]any{"typ": "at+jwt"}, good()),
		"a wrong typ":                      sign(t, jwt.SigningMethodEdDSA, priv, map[string]any{"kid": kid, "typ": "JWT"}, good()),
		"a wrong issuer":                   sign(t, jwt.SigningMethodEdDSA, priv, hdr, with("iss", "evil")),
		"a wrong audience":                 sign(t, jwt.SigningMethodEdDSA, priv, hdr, with("aud", "other-api")),
		"no expiry":                        sign(t, jwt.SigningMethodEdDSA, priv, hdr, without("exp")),
		"expired":                          sign(t, jwt.SigningMethodEdDSA, priv, hdr, with("exp", now.Add(-time.Minute).Unix())),
		"no session":                       sign(t, jwt.SigningMethodEdDSA, priv, hdr, without("sid")),
		"a refresh token as bearer":        "tenant.01a2f0e0-0000-7000-8000-000000000000.c2VjcmV0",
		"garbage":                          "a.b.c",
		"a megabyte":                       strings.Repeat("a", 1<<20),
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			if _, _, err := tk.Verify(raw); err == nil {
				t.Fatal("accepted")
			}
		})
	}

	t.Run("a rotated-in public key is accepted", func(t *testing.T) {
		_, next, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tk.keys.AddPublic(next.Public().(ed25519.PublicKey))
		raw := sign(t, jwt.SigningMethodEdDSA, next, map[string]any{"kid": KeyID(next.Public().(ed25519.PublicKey)), "typ": "at+jwt"}, good())
		if _, _, err := tk.Verify(raw); err != nil {
			t.Fatalf("refused: %v", err)
		}
		if len(tk.keys.JWKS()) != 2 {
			t.Fatalf("JWKS has %d keys", len(tk.keys.JWKS()))
		}
	})
}

func TestRevocations(t *testing.T) {
	now := time.Now()
	r := NewRevocations(func() time.Duration { return 15 * time.Minute }, func() time.Time { return now })
	issued := now.Add(-time.Minute)
	r.sessions["s1"] = now.Add(30 * time.Minute)
	if r.Allowed(alice, issued) {
		t.Error("revoked session allowed")
	}
	bob := Principal{UserID: "u2", SessionID: "s2", Role: RoleUser}
	r.revokeUser("u2", userRevocation{before: now, except: "s3"})
	if r.Allowed(bob, issued) {
		t.Error("token issued before the user's revocation allowed")
	}
	if !r.Allowed(bob, now.Add(time.Millisecond)) {
		t.Error("token issued after the revocation refused")
	}
	spared := bob
	spared.SessionID = "s3"
	if !r.Allowed(spared, issued) {
		t.Error("the spared session was refused")
	}
	now = now.Add(time.Hour)
	r.forget()
	if len(r.sessions) != 0 || len(r.users) != 0 {
		t.Errorf("records outlived every token they could affect: %d %d", len(r.sessions), len(r.users))
	}
}

func TestClientIP(t *testing.T) {
	proxy := []netipPrefix{mustPrefix("10.0.0.0/8")}
	cases := []struct{ peer, xff, want string }{
		{"203.0.113.5:4000", "1.2.3.4", "203.0.113.5"},                       // untrusted peer: its X-Forwarded-For is ignored
		{"10.0.0.2:4000", "198.51.100.7", "198.51.100.7"},                    // trusted proxy
		{"10.0.0.2:4000", "6.6.6.6, 198.51.100.7, 10.0.0.9", "198.51.100.7"}, // nearest untrusted hop
		{"10.0.0.2:4000", "", "10.0.0.2"},
		{"10.0.0.2:4000", "garbage", "10.0.0.2"},
		{"[::ffff:203.0.113.5]:80", "", "203.0.113.5"},
	}
	for _, c := range cases {
		if got := ClientIP(c.peer, c.xff, proxy); got != c.want {
			t.Errorf("ClientIP(%q, %q) = %q, want %q", c.peer, c.xff, got, c.want)
		}
	}
}

func TestAVerifiedTokenIsRememberedOnlyUntilItExpires(t *testing.T) {
	now := time.Now()
	tk, _ := newTestTokens(t, &now)
	raw, err := tk.Issue(alice, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	first, issued, err := tk.Verify(raw)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("the same token again gives the same principal", func(t *testing.T) {
		p, again, err := tk.Verify(raw)
		if err != nil || p != first || !again.Equal(issued) {
			t.Fatalf("got %+v %v %v, want %+v %v", p, again, err, first, issued)
		}
	})
	t.Run("a token differing in its signature is refused", func(t *testing.T) {
		last := raw[len(raw)-2]
		forged := raw[:len(raw)-2] + string(map[bool]byte{true: 'B', false: 'A'}[last == 'A']) + raw[len(raw)-1:]
		if _, _, err := tk.Verify(forged); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("past its expiry and leeway it is refused", func(t *testing.T) {
		now = now.Add(time.Minute + tokenLeeway + time.Second)
		if _, _, err := tk.Verify(raw); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestVerifiedTokensStayBounded(t *testing.T) {
	v := newVerifiedTokens()
	for i := range maxVerified + 10 {
		v.put(strings.Repeat("x", 8)+string(rune(i)), verifiedToken{until: time.Now().Add(time.Hour)})
	}
	if n := len(v.tokens); n > maxVerified {
		t.Fatalf("%d tokens remembered, want at most %d", n, maxVerified)
	}
}
