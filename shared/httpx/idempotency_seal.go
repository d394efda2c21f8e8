package httpx

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
)

// The bucket holds answers that may carry a one-time secret (a new API
// key), so nothing in it is readable without the client's Idempotency-Key,
// which the bucket never holds: the entry's name and its encryption key are
// two different one-way derivations of the client's key and its scope.

const (
	bucketKeyInfo = "chatbot idempotency entry name v1"
	sealKeyInfo   = "chatbot idempotency answer key v1"
	idSeedInfo    = "chatbot idempotency id seed v1"
)

// entryKeys are what one (scope, Idempotency-Key) pair derives.
type entryKeys struct {
	name string      // the bucket key
	aead cipher.AEAD // seals the entry's contents
	seed []byte      // the ids the request makes derive from it
}

// deriveKeys derives the entry name and its sealing key from the client's
// key, salted with the scope (caller, method and path).
func deriveKeys(clientKey, scope string) (entryKeys, error) {
	name, err := hkdf.Key(sha256.New, []byte(clientKey), []byte(scope), bucketKeyInfo, 32)
	if err != nil {
		return entryKeys{}, err
	}
	key, err := hkdf.Key(sha256.New, []byte(clientKey), []byte(scope), sealKeyInfo, 32)
	if err != nil {
		return entryKeys{}, err
	}
	seed, err := hkdf.Key(sha256.New, []byte(clientKey), []byte(scope), idSeedInfo, 32)
	if err != nil {
		return entryKeys{}, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return entryKeys{}, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return entryKeys{}, err
	}
	return entryKeys{name: hex.EncodeToString(name), aead: aead, seed: seed}, nil
}

// entry is what the bucket keeps under a name. Only the state and the
// claim times are in clear: the takeover of an abandoned claim needs them,
// and they tell nothing about the request. FirstClaimedAt, kept through
// takeovers, is the timestamp of the ids the request makes, so that a
// retry makes the same ones; ClaimedAt is the current claim's, which
// tells when it is abandoned.
type entry struct {
	Done           bool      `json:"done"`
	ClaimedAt      time.Time `json:"claimed_at"`
	FirstClaimedAt time.Time `json:"first_claimed_at,omitzero"`
	Sealed         []byte    `json:"sealed"` // nonce and AES-256-GCM ciphertext of a sealedAnswer
}

// sealedAnswer is the sealed part: the request's body hash (a claim has
// only that) and, once done, the answer to replay.
type sealedAnswer struct {
	BodyHash string            `json:"body_hash"`
	Status   int               `json:"status,omitempty"`
	Headers  map[string]string `json:"headers,omitempty"`
	Body     []byte            `json:"body,omitempty"`
}

// seal encodes e with a sealed into it; the entry name is the additional
// data, so an entry copied under another name does not open.
func (k entryKeys) seal(e entry, a sealedAnswer) ([]byte, error) {
	plain, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plain)+k.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	e.Sealed = k.aead.Seal(nonce, nonce, plain, []byte(k.name))
	return json.Marshal(e)
}

// open decodes a stored entry and its sealed part.
func (k entryKeys) open(value []byte) (entry, sealedAnswer, error) {
	var e entry
	var a sealedAnswer
	if err := json.Unmarshal(value, &e); err != nil {
		return e, a, fmt.Errorf("decode idempotency entry: %w", err)
	}
	n := k.aead.NonceSize()
	if len(e.Sealed) < n {
		return e, a, fmt.Errorf("idempotency entry too short")
	}
	plain, err := k.aead.Open(nil, e.Sealed[:n], e.Sealed[n:], []byte(k.name))
	if err != nil {
		return e, a, fmt.Errorf("open idempotency entry: %w", err)
	}
	if err := json.Unmarshal(plain, &a); err != nil {
		return e, a, fmt.Errorf("decode idempotency answer: %w", err)
	}
	return e, a, nil
}
