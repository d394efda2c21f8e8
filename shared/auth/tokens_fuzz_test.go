package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"
	"time"
)

// FuzzTokenVerify feeds arbitrary bearer strings to the access-token check:
// none panics, and one that is accepted names exactly the principal of a
// token this key set issued. Seeds are in testdata/fuzz/FuzzTokenVerify
// (an alg=none token, an HMAC one, a header-only one) and a fresh token
// with its variants.
func FuzzTokenVerify(f *testing.F) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	now := time.Now()
	tk := NewTokens(NewKeySet(priv), "chatbotd", "chatbot-api", func() time.Time { return now })
	raw, err := tk.Issue(alice, 15*time.Minute)
	if err != nil {
		f.Fatal(err)
	}
	parts := strings.Split(raw, ".")
	for _, seed := range []string{raw, parts[0] + "." + parts[1] + ".", parts[0] + "..", raw + "x", strings.ToUpper(raw), ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, _, err := tk.Verify(s)
		if err == nil && p != alice {
			t.Fatalf("%q was accepted as %+v, a principal never issued", s, p)
		}
		if err != nil && err != ErrInvalidToken {
			t.Fatalf("%q: the refusal %v tells why", s, err)
		}
	})
}
