package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// CredentialsBucket keeps password hashes, outside the event stream.
const CredentialsBucket = "CREDENTIALS"

// Credentials are the password hashes by user id.
type Credentials struct{ kv jetstream.KeyValue }

// OpenCredentials opens (or creates) the credentials bucket.
func OpenCredentials(ctx context.Context, js jetstream.JetStream, replicas int) (*Credentials, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: CredentialsBucket, Description: "password hashes by user id (never in events)",
		History: 1, Storage: jetstream.FileStorage, Replicas: max(replicas, 1),
	})
	if err != nil {
		return nil, fmt.Errorf("create bucket %s: %w", CredentialsBucket, err)
	}
	return &Credentials{kv: kv}, nil
}

// Put stores the user's hash.
func (c *Credentials) Put(ctx context.Context, userID string, hash []byte) error {
	_, err := c.kv.Put(ctx, userID, hash)
	return err
}

// Get returns the user's hash, nil if it has none.
func (c *Credentials) Get(ctx context.Context, userID string) ([]byte, error) {
	e, err := c.kv.Get(ctx, userID)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return e.Value(), nil
}

// Delete destroys the user's hash; a missing one is no error.
func (c *Credentials) Delete(ctx context.Context, userID string) error {
	return c.kv.Delete(ctx, userID)
}
