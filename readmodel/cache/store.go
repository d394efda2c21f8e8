package cache

import (
	"context"
	"time"
)

// Store is the shared side of the cache. Every call is bounded by its
// context; an error means the store is unreachable or too slow.
type Store interface {
	// Gens are the values of keys, "" for one that does not exist. They
	// may come from process memory, which the store keeps in step with
	// the server.
	Gens(ctx context.Context, keys []string) ([]string, error)
	// InitGen sets key to v, unless it exists, for ttl, and returns the
	// value then in force.
	InitGen(ctx context.Context, key, v string, ttl time.Duration) (string, error)
	// SetGens sets each key to its own new value, for ttl.
	SetGens(ctx context.Context, keys, values []string, ttl time.Duration) error
	// Get is an entry, found or not. The bytes may be shared: read only.
	Get(ctx context.Context, key string) ([]byte, bool, error)
	// Set stores an entry for ttl.
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	Ping(ctx context.Context) error
	Close()
}
