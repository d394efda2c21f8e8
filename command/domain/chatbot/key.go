package chatbot

import (
	"crypto/sha256"
	"encoding/hex"
	"math/big"
	"strings"
)

// KeyPrefix starts every chatbot API key.
const KeyPrefix = "cbk_"

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// FormatKey writes 256 bits as an API key: "cbk_" and 43 base62
// characters. The bits come from the caller, so the domain stays pure.
func FormatKey(raw [32]byte) string {
	n := new(big.Int).SetBytes(raw[:])
	out := make([]byte, 43)
	base := big.NewInt(62)
	mod := new(big.Int)
	for i := len(out) - 1; i >= 0; i-- {
		n.DivMod(n, base, mod)
		out[i] = base62[mod.Int64()]
	}
	return KeyPrefix + string(out)
}

// keyLength is a key's length: the prefix and 43 base62 characters.
const keyLength = len(KeyPrefix) + 43

// ParseKey reads the key of a bot call's "Authorization: Bearer <key>"
// header. Anything else than a key as FormatKey writes it is refused
// before it is hashed and looked up.
func ParseKey(authorization string) (string, bool) {
	key, ok := strings.CutPrefix(authorization, "Bearer ")
	if !ok || len(key) != keyLength || !strings.HasPrefix(key, KeyPrefix) {
		return "", false
	}
	for i := len(KeyPrefix); i < len(key); i++ {
		if strings.IndexByte(base62, key[i]) < 0 {
			return "", false
		}
	}
	return key, true
}

// HashKey is how a key is stored and looked up: SHA-256, hex. A fast hash
// is right for a 256-bit random secret (there is no guessing to slow down).
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// KeyWithHash returns the chatbot's key whose hash is hash.
func (c *Chatbot) KeyWithHash(hash string) (Key, bool) {
	for _, k := range c.Keys {
		if k.Hash == hash {
			return k, true
		}
	}
	return Key{}, false
}
