package pii

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// errErased is a subject with no data key: Open reads its fields as Erased.
var errErased = errors.New("data key erased")

// key returns subject's data key. A cached erasure is trusted only for
// opening; sealing always asks the bucket.
func (v *Vault) key(ctx context.Context, subject string, create bool) (cipher.AEAD, error) {
	if k, ok := v.cache.get(subject); ok && k != nil {
		return k, nil
	}
	if create {
		v.mu.Lock()
		defer v.mu.Unlock()
	}
	entry, err := v.kv.Get(ctx, subject)
	switch {
	case err == nil:
		return v.unwrap(subject, entry.Value())
	case !errors.Is(err, jetstream.ErrKeyNotFound):
		return nil, fmt.Errorf("read the data key of %s: %w", subject, err)
	case !create:
		return nil, errErased
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	wrapped, err := v.wrap(subject, raw)
	if err != nil {
		return nil, err
	}
	if _, err := v.kv.Create(ctx, subject, wrapped); err != nil {
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return nil, fmt.Errorf("store the data key of %s: %w", subject, err)
		}
		// Another process created it first: use theirs.
		entry, err := v.kv.Get(ctx, subject)
		if err != nil {
			return nil, fmt.Errorf("read the data key of %s: %w", subject, err)
		}
		return v.unwrap(subject, entry.Value())
	}
	return v.remember(subject, raw)
}

func (v *Vault) unwrap(subject string, wrapped []byte) (cipher.AEAD, error) {
	raw, _, err := v.openWrapped(subject, wrapped)
	if err != nil {
		return nil, err
	}
	return v.remember(subject, raw)
}

func (v *Vault) remember(subject string, raw []byte) (cipher.AEAD, error) {
	k, err := newAEAD(raw)
	if err != nil {
		return nil, err
	}
	v.cache.put(subject, k)
	return k, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("want 32 bytes, have %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
