package pii

import (
	"crypto/hmac"
	"crypto/sha256"
)

// deriveMACKey is a key for MAC, apart from the one that wraps data keys.
func deriveMACKey(kek []byte) []byte {
	h := hmac.New(sha256.New, kek)
	h.Write([]byte("chatbot: message authentication keys, v1"))
	return h.Sum(nil)
}

// MAC authenticates msg for purpose under a key only the processes holding
// the KEK have: a secret such a process can make again from what is public
// (a password reset token from its request's id), so it is never stored.
func (v *Vault) MAC(purpose string, msg []byte) []byte {
	h := hmac.New(sha256.New, v.mac)
	h.Write([]byte(purpose))
	h.Write([]byte{0})
	h.Write(msg)
	return h.Sum(nil)
}
