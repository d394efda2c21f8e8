package auth

import (
	"strings"
	"sync"
	"time"
)

// verifiedTokens remembers access tokens whose signature and claims were
// checked, each until it expires, so that a client's next requests with
// the same token skip the Ed25519 verification: it was half of the CPU an
// authenticated command spent in the HTTP path. The key is the whole
// token, so only the very string that was verified ever hits; revocation
// is the guard's, checked on every request all the same.
type verifiedTokens struct {
	mu     sync.RWMutex
	tokens map[string]verifiedToken
}

type verifiedToken struct {
	principal Principal
	issued    time.Time
	until     time.Time // expiry plus the leeway Verify allows
}

// maxVerified bounds the memory: past it the whole set is forgotten, and
// the tokens in use are verified again, once each.
const maxVerified = 10_000

func newVerifiedTokens() *verifiedTokens {
	return &verifiedTokens{tokens: map[string]verifiedToken{}}
}

func (v *verifiedTokens) get(raw string, now time.Time) (verifiedToken, bool) {
	v.mu.RLock()
	tok, ok := v.tokens[raw]
	v.mu.RUnlock()
	if !ok || !now.Before(tok.until) {
		return verifiedToken{}, false
	}
	return tok, true
}

func (v *verifiedTokens) put(raw string, tok verifiedToken) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.tokens) >= maxVerified {
		clear(v.tokens)
	}
	// A copy: the caller's string may alias a request buffer that the
	// HTTP server reuses (fasthttp hands headers out without copying).
	v.tokens[strings.Clone(raw)] = tok
}
