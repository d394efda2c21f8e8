// Package pii keeps personal data in the event stream erasable: each data
// subject (a user) has its own data key, personal fields of its events are
// stored encrypted under that key, and erasing the subject destroys the key
// (crypto-shredding). The stream is append-only and never rewritten; once the
// key is gone its ciphertext is noise, in the stream, in backups and in any
// copy an audit consumer made.
//
// Data keys live in the PII_KEYS bucket, each wrapped (AES-256-GCM) under the
// key-encryption key from PERSONAL_DATA_KEY_FILE, so neither a copy of the
// stream nor one of the bucket alone reveals anything.
package pii

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/nats-io/nats.go/jetstream"
)

// Bucket keeps one wrapped data key per subject.
const Bucket = "PII_KEYS"

// prefix marks a sealed value: "pii1:" + base64url(nonce || ciphertext).
const prefix = "pii1:"

// Erased is what a personal field reads as once its subject's key is gone.
const Erased = ""

// Fields is implemented (on the pointer) by event data holding personal
// data: it returns the fields to seal.
type Fields interface {
	PersonalFields() []*string
}

// Subjected is implemented by event data whose personal fields belong to
// someone other than the event's aggregate (a session's user): it names
// the data subject whose key seals them.
type Subjected interface {
	PersonalSubject() string
}

// SubjectOf is whose key seals data's personal fields: its own named
// subject, else the aggregate's id.
func SubjectOf(data any, aggregateID string) string {
	if s, ok := data.(Subjected); ok && s.PersonalSubject() != "" {
		return s.PersonalSubject()
	}
	return aggregateID
}

// Sealed reports whether s is a sealed value.
func Sealed(s string) bool { return strings.HasPrefix(s, prefix) }

// Vault seals and opens personal fields.
type Vault struct {
	kv  jetstream.KeyValue
	kek cipher.AEAD
	// previous are keys being rotated out: data keys wrapped under them
	// still open, none is wrapped under them (rotate.go).
	previous []cipher.AEAD
	mac      MACKey // derived from the KEK
	cache    *keyCache
	mu       sync.Mutex // serialises key creation within a process
}

// Open makes sure the bucket exists. kek is the 32-byte key-encryption key.
// Until ctx ends the vault follows the bucket, so that an erasure made by any
// process is honoured by this one's cache too.
func Open(ctx context.Context, js jetstream.JetStream, kek []byte, replicas int) (*Vault, error) {
	aead, err := newAEAD(kek)
	if err != nil {
		return nil, fmt.Errorf("personal data key: %w", err)
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: Bucket, Description: "per-user data keys (wrapped) of the personal fields of events",
		History: 1, Storage: jetstream.FileStorage, Replicas: max(replicas, 1),
	})
	if err != nil {
		return nil, fmt.Errorf("create bucket %s: %w", Bucket, err)
	}
	v := &Vault{kv: kv, kek: aead, mac: NewMACKey(kek), cache: newKeyCache(10_000)}
	w, err := kv.WatchAll(ctx, jetstream.UpdatesOnly())
	if err != nil {
		return nil, fmt.Errorf("follow bucket %s: %w", Bucket, err)
	}
	go func() {
		for e := range w.Updates() {
			if e != nil && e.Operation() != jetstream.KeyValuePut {
				v.cache.put(e.Key(), nil)
			}
		}
	}()
	return v, nil
}

// Seal encrypts every non-empty field in place under subject's key, creating
// the key on first use. Already sealed values are left alone.
func (v *Vault) Seal(ctx context.Context, subject string, fields []*string) error {
	key, err := v.key(ctx, subject, true)
	if err != nil {
		return err
	}
	for _, f := range fields {
		if *f == "" || Sealed(*f) {
			continue
		}
		nonce := make([]byte, key.NonceSize(), key.NonceSize()+len(*f)+key.Overhead())
		if _, err := rand.Read(nonce); err != nil {
			return err
		}
		ct := key.Seal(nonce, nonce, []byte(*f), []byte(subject))
		*f = prefix + base64.RawURLEncoding.EncodeToString(ct)
	}
	return nil
}

// Open decrypts sealed fields in place. Once the subject was erased they
// read as Erased; values that were never sealed are left as they are.
func (v *Vault) Open(ctx context.Context, subject string, fields []*string) error {
	var key cipher.AEAD
	for _, f := range fields {
		if !Sealed(*f) {
			continue
		}
		if key == nil {
			k, err := v.key(ctx, subject, false)
			if errors.Is(err, errErased) {
				for _, g := range fields {
					if Sealed(*g) {
						*g = Erased
					}
				}
				return nil
			}
			if err != nil {
				return err
			}
			key = k
		}
		raw, err := base64.RawURLEncoding.DecodeString((*f)[len(prefix):])
		if err != nil || len(raw) < key.NonceSize() {
			return fmt.Errorf("personal data of %s: %w", subject, ErrUnreadable)
		}
		pt, err := key.Open(nil, raw[:key.NonceSize()], raw[key.NonceSize():], []byte(subject))
		if err != nil {
			return fmt.Errorf("personal data of %s: %w", subject, ErrUnreadable)
		}
		*f = string(pt)
	}
	return nil
}

// Erase destroys subject's key: its sealed fields can never be read again.
func (v *Vault) Erase(ctx context.Context, subject string) error {
	v.cache.put(subject, nil)
	if err := v.kv.Purge(ctx, subject); err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		return fmt.Errorf("erase the data key of %s: %w", subject, err)
	}
	return nil
}

// ErrUnreadable is a sealed value that no key opens: damaged, or sealed under
// another subject. Other errors of Open are the bucket being unreachable.
var ErrUnreadable = errors.New("sealed personal data is unreadable")

// SealCopy reports false when data holds no personal fields; else it
// returns a copy of data with those fields sealed under subject's key. data
// itself is not modified.
func (v *Vault) SealCopy(ctx context.Context, subject string, data any) (any, bool, error) {
	if v == nil || data == nil {
		return nil, false, nil
	}
	rv := reflect.ValueOf(data)
	if rv.Kind() == reflect.Pointer {
		rv = rv.Elem()
	}
	cp := reflect.New(rv.Type())
	f, ok := cp.Interface().(Fields)
	if !ok {
		return nil, false, nil
	}
	cp.Elem().Set(rv)
	if err := v.Seal(ctx, SubjectOf(cp.Interface(), subject), f.PersonalFields()); err != nil {
		return nil, false, err
	}
	return cp.Interface(), true, nil
}

// OpenData opens the personal fields of decoded event data in place.
func (v *Vault) OpenData(ctx context.Context, subject string, data any) error {
	if f, ok := data.(Fields); ok && v != nil {
		return v.Open(ctx, SubjectOf(data, subject), f.PersonalFields())
	}
	return nil
}
