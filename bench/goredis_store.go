package main

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatbotsaas/chatbot/readmodel/cache"
)

// goRedisStore is the other cache design measured beside rueidis's
// client-side caching: go-redis plus a small in-process map of entries.
// Entries never change under their key, so the map needs no invalidation;
// the generations, which do change, are read from Redis on every read
// (one round trip), as go-redis has no server-assisted invalidation.
type goRedisStore struct {
	c *redis.Client

	mu      sync.Mutex
	entries map[string][]byte
}

const goRedisLocalEntries = 10_000

var _ cache.Store = (*goRedisStore)(nil)

func newGoRedisStore(url string) (*goRedisStore, error) {
	o, err := redis.ParseURL(url)
	if err != nil {
		return nil, err
	}
	return &goRedisStore{c: redis.NewClient(o), entries: map[string][]byte{}}, nil
}

func (s *goRedisStore) Gens(ctx context.Context, keys []string) ([]string, error) {
	vals, err := s.c.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, err
	}
	out := make([]string, len(keys))
	for i, v := range vals {
		if str, ok := v.(string); ok {
			out[i] = str
		}
	}
	return out, nil
}

func (s *goRedisStore) InitGen(ctx context.Context, key, v string, ttl time.Duration) (string, error) {
	old, err := s.c.SetArgs(ctx, key, v, redis.SetArgs{Mode: "NX", Get: true, TTL: ttl}).Result()
	if errors.Is(err, redis.Nil) {
		return v, nil
	}
	return old, err
}

func (s *goRedisStore) SetGens(ctx context.Context, keys, values []string, ttl time.Duration) error {
	_, err := s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			p.Set(ctx, k, values[i], ttl)
		}
		return nil
	})
	return err
}

func (s *goRedisStore) Get(ctx context.Context, key string) ([]byte, bool, error) {
	s.mu.Lock()
	b, ok := s.entries[key]
	s.mu.Unlock()
	if ok {
		return b, true, nil
	}
	b, err := s.c.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	s.keep(key, b)
	return b, true, nil
}

// keep holds b in memory, dropping an arbitrary entry when full.
func (s *goRedisStore) keep(key string, b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.entries) >= goRedisLocalEntries {
		for k := range s.entries {
			delete(s.entries, k)
			break
		}
	}
	s.entries[key] = b
}

func (s *goRedisStore) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	return s.c.Set(ctx, key, value, ttl).Err()
}

func (s *goRedisStore) Ping(ctx context.Context) error { return s.c.Ping(ctx).Err() }

func (s *goRedisStore) Close() { _ = s.c.Close() }
