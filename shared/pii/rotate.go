package pii

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// Rotating the key-encryption key: every process is given the new key as
// PERSONAL_DATA_KEY_FILE and the old one as PERSONAL_DATA_PREVIOUS_KEY_FILE,
// so that data keys wrapped under either open (new ones are wrapped under
// the new key); Rewrap then wraps every stored data key under the new key,
// after which the old one can go. The data keys themselves, and so the
// sealed fields of the stream, do not change.

// LoadPreviousKEK reads a key being rotated out (base64, 32 bytes); an empty
// file name is none.
func LoadPreviousKEK(file string) ([]byte, error) {
	if file == "" {
		return nil, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("PERSONAL_DATA_PREVIOUS_KEY_FILE %s: %v", file, err)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != 32 {
		return nil, fmt.Errorf("PERSONAL_DATA_PREVIOUS_KEY_FILE %s: want 32 random bytes in base64", file)
	}
	return key, nil
}

// AcceptPrevious lets the vault open data keys wrapped under kek, a key
// being rotated out. Nothing is wrapped under it any more.
func (v *Vault) AcceptPrevious(kek []byte) error {
	aead, err := newAEAD(kek)
	if err != nil {
		return fmt.Errorf("previous personal data key: %w", err)
	}
	v.previous = append(v.previous, aead)
	return nil
}

// openWrapped opens a wrapped data key under the current key, else a
// previous one; current says which.
func (v *Vault) openWrapped(subject string, wrapped []byte) (raw []byte, current bool, err error) {
	for i, k := range append([]cipher.AEAD{v.kek}, v.previous...) {
		n := k.NonceSize()
		if len(wrapped) < n {
			break
		}
		if raw, err := k.Open(nil, wrapped[:n], wrapped[n:], []byte(subject)); err == nil {
			return raw, i == 0, nil
		}
	}
	return nil, false, fmt.Errorf("data key of %s does not open under PERSONAL_DATA_KEY_FILE or PERSONAL_DATA_PREVIOUS_KEY_FILE: %w", subject, ErrUnreadable)
}

// wrap seals raw, subject's data key, under the current key.
func (v *Vault) wrap(subject string, raw []byte) ([]byte, error) {
	nonce := make([]byte, v.kek.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return v.kek.Seal(nonce, nonce, raw, []byte(subject)), nil
}

// Rewrap wraps under the current key every data key of the bucket that is
// wrapped under a previous one. It reports how many it rewrapped and how
// many were already under the current key; a key that opens under none
// stops it. A key erased meanwhile is skipped; one changed meanwhile is
// read again.
func (v *Vault) Rewrap(ctx context.Context) (rewrapped, current int, err error) {
	keys, err := v.kv.ListKeys(ctx)
	if err != nil {
		if errors.Is(err, jetstream.ErrNoKeysFound) {
			return 0, 0, nil
		}
		return 0, 0, fmt.Errorf("list %s: %w", Bucket, err)
	}
	for subject := range keys.Keys() {
		done, err := v.rewrapOne(ctx, subject)
		if err != nil {
			return rewrapped, current, err
		}
		if done {
			rewrapped++
		} else {
			current++
		}
	}
	return rewrapped, current, nil
}

func (v *Vault) rewrapOne(ctx context.Context, subject string) (rewrapped bool, err error) {
	for attempt := 0; ; attempt++ {
		entry, err := v.kv.Get(ctx, subject)
		if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
			return false, nil // erased meanwhile
		}
		if err != nil {
			return false, fmt.Errorf("read the data key of %s: %w", subject, err)
		}
		raw, isCurrent, err := v.openWrapped(subject, entry.Value())
		if err != nil || isCurrent {
			return false, err
		}
		wrapped, err := v.wrap(subject, raw)
		if err != nil {
			return false, err
		}
		_, err = v.kv.Update(ctx, subject, wrapped, entry.Revision())
		if err == nil {
			return true, nil
		}
		if attempt >= 3 {
			return false, fmt.Errorf("rewrap the data key of %s: %w", subject, err)
		}
	}
}
