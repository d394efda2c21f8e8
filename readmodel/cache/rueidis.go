package cache

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/redis/rueidis"
)

// RueidisStore is the Store on Redis with rueidis's client-side caching:
// generations and entries read once stay in process memory, and Redis
// pushes an invalidation to every process holding a key when it changes
// (RESP3 client tracking). A lost connection empties that memory.
type RueidisStore struct {
	opt      rueidis.ClientOption
	localTTL time.Duration

	mu     sync.Mutex
	client rueidis.Client // nil until Redis first answers
}

// NewRueidisStore reads a redis:// URL. It does not connect: Redis down
// at start is not fatal, and each use tries again until it answers.
// localTTL bounds how long a generation is trusted from memory alone.
func NewRueidisStore(url string, localTTL time.Duration, dialTimeout time.Duration) (*RueidisStore, error) {
	opt, err := rueidis.ParseURL(url)
	if err != nil {
		return nil, errors.New("REDIS_URL cannot be parsed")
	}
	opt.Dialer.Timeout = dialTimeout
	opt.ConnWriteTimeout = time.Second
	opt.CacheSizeEachConn = 32 << 20 // bytes of entries kept in memory, least recently used out first
	opt.DisableRetry = true          // a read that fails goes to Postgres instead
	return &RueidisStore{opt: opt, localTTL: localTTL}, nil
}

// conn is the client, made on first success.
func (s *RueidisStore) conn() (rueidis.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client != nil {
		return s.client, nil
	}
	c, err := rueidis.NewClient(s.opt)
	if err != nil {
		return nil, err
	}
	s.client = c
	return c, nil
}

func (s *RueidisStore) Gens(ctx context.Context, keys []string) ([]string, error) {
	c, err := s.conn()
	if err != nil {
		return nil, err
	}
	cmds := make([]rueidis.CacheableTTL, len(keys))
	for i, k := range keys {
		cmds[i] = rueidis.CT(c.B().Get().Key(k).Cache(), s.localTTL)
	}
	out := make([]string, len(keys))
	for i, r := range c.DoMultiCache(ctx, cmds...) {
		v, err := r.ToString()
		if err != nil && !rueidis.IsRedisNil(err) {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (s *RueidisStore) InitGen(ctx context.Context, key, v string, ttl time.Duration) (string, error) {
	c, err := s.conn()
	if err != nil {
		return "", err
	}
	old, err := c.Do(ctx, c.B().Set().Key(key).Value(v).Nx().Get().Ex(ttl).Build()).ToString()
	if rueidis.IsRedisNil(err) {
		return v, nil // ours is in force
	}
	return old, err
}

func (s *RueidisStore) SetGens(ctx context.Context, keys, values []string, ttl time.Duration) error {
	c, err := s.conn()
	if err != nil {
		return err
	}
	cmds := make(rueidis.Commands, len(keys))
	for i, k := range keys {
		cmds[i] = c.B().Set().Key(k).Value(values[i]).Ex(ttl).Build()
	}
	for _, r := range c.DoMulti(ctx, cmds...) {
		if err := r.Error(); err != nil {
			return err
		}
	}
	return nil
}

func (s *RueidisStore) Get(ctx context.Context, key string) ([]byte, bool, error) {
	c, err := s.conn()
	if err != nil {
		return nil, false, err
	}
	// Entries never change under their key, so memory may keep them as
	// long as Redis does; the generations in the key retire them.
	b, err := c.DoCache(ctx, c.B().Get().Key(key).Cache(), time.Hour).AsBytes()
	if rueidis.IsRedisNil(err) {
		return nil, false, nil
	}
	return b, err == nil, err
}

func (s *RueidisStore) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	c, err := s.conn()
	if err != nil {
		return err
	}
	return c.Do(ctx, c.B().Set().Key(key).Value(rueidis.BinaryString(value)).Ex(ttl).Build()).Error()
}

func (s *RueidisStore) Ping(ctx context.Context) error {
	c, err := s.conn()
	if err != nil {
		return err
	}
	return c.Do(ctx, c.B().Ping().Build()).Error()
}

func (s *RueidisStore) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client != nil {
		s.client.Close()
		s.client = nil
	}
}
