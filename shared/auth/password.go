package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/text/unicode/norm"
)

// MinBcryptCost is the lowest cost the product accepts (ASVS 2.4.4).
const MinBcryptCost = 10

// MaxPasswordBytes bounds the work one login can cause; far above any
// passphrase a person types.
const MaxPasswordBytes = 1024

// Hasher hashes and checks passwords: NFKC-normalised, pre-hashed with
// HMAC-SHA-384 under the pepper (so bcrypt's 72-byte limit never truncates
// a password), then bcrypt at the configured cost.
type Hasher struct {
	cost   int
	pepper []byte
	dummy  []byte // a hash to compare against when the account is unknown
	gate   *admission
}

// NewHasher builds a hasher. Costs below 10 are for tests only and must be
// asked for with allowWeak.
func NewHasher(cost int, pepper []byte, allowWeak bool) (*Hasher, error) {
	if cost < MinBcryptCost && !allowWeak {
		return nil, errors.New("bcrypt cost below 10")
	}
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return nil, errors.New("bcrypt cost out of range")
	}
	if len(pepper) == 0 {
		// Without a secret pepper the HMAC still removes the 72-byte limit.
		pepper = []byte("chatbotd-password-prehash-v1")
	}
	h := &Hasher{cost: cost, pepper: pepper, gate: newAdmission(0)}
	// Making the dummy hash also times one operation at this cost (the
	// gate observes it), which the admission of the first logins goes by.
	dummy, err := h.Hash("dummy password for unknown accounts")
	if err != nil {
		return nil, err
	}
	h.dummy = dummy
	return h, nil
}

// Cost is the bcrypt cost new hashes get.
func (h *Hasher) Cost() int { return h.cost }

// Normalize is the form a password is hashed and measured in.
func Normalize(password string) string { return norm.NFKC.String(password) }

// Length counts a password's characters after normalisation.
func Length(password string) int { return utf8.RuneCountInString(Normalize(password)) }

func (h *Hasher) prehash(password string) []byte {
	mac := hmac.New(sha512.New384, h.pepper)
	mac.Write([]byte(Normalize(password)))
	sum := mac.Sum(nil)
	out := make([]byte, base64.StdEncoding.EncodedLen(len(sum))) // 64 bytes, under bcrypt's 72
	base64.StdEncoding.Encode(out, sum)
	return out
}

// Hash returns the bcrypt hash of password. It waits for a core however
// long that takes: hashing follows a check or a deliberate change, whose
// callers are few.
func (h *Hasher) Hash(password string) ([]byte, error) {
	if len(password) > MaxPasswordBytes {
		return nil, errors.New("password too long")
	}
	if h.gate != nil {
		h.gate.slots <- struct{}{}
		defer h.gate.releaser()()
	}
	return bcrypt.GenerateFromPassword(h.prehash(password), h.cost)
}

// Check reports whether password matches hash, and whether the hash should
// be redone at the current cost. A nil hash is compared against a dummy so
// an unknown account costs as much as a known one. When the compare could
// not end well before ctx's deadline (more are queued than the cores finish
// by then) it is not done and Check answers ErrOverloaded, with a
// Retry-After, at once.
func (h *Hasher) Check(ctx context.Context, hash []byte, password string) (ok, rehash bool, err error) {
	release, err := h.gate.acquire(ctx)
	if err != nil {
		return false, false, err
	}
	defer release()
	if len(password) > MaxPasswordBytes {
		password = "" // still spend the compare below
	}
	target := hash
	if target == nil {
		target = h.dummy
	}
	ok = bcrypt.CompareHashAndPassword(target, h.prehash(password)) == nil && hash != nil
	if ok {
		if cost, err := bcrypt.Cost(hash); err == nil && cost < h.cost {
			rehash = true
		}
	}
	return ok, rehash, nil
}
