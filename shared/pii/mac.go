package pii

import (
	"crypto/hmac"
	"crypto/sha256"
)

// MACKey authenticates messages under a key derived from the KEK, apart
// from the one that wraps data keys: a secret a process holding the KEK
// can make again from what is public (a password reset token from its
// request's id), so it is never stored.
type MACKey []byte

// NewMACKey derives the MAC key of a KEK.
func NewMACKey(kek []byte) MACKey {
	h := hmac.New(sha256.New, kek)
	h.Write([]byte("chatbot: message authentication keys, v1"))
	return h.Sum(nil)
}

// MAC authenticates msg for purpose.
func (k MACKey) MAC(purpose string, msg []byte) []byte {
	h := hmac.New(sha256.New, k)
	h.Write([]byte(purpose))
	h.Write([]byte{0})
	h.Write(msg)
	return h.Sum(nil)
}

// MAC authenticates msg for purpose under the vault's MAC key.
func (v *Vault) MAC(purpose string, msg []byte) []byte { return v.mac.MAC(purpose, msg) }
