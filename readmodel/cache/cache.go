package cache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatbotsaas/chatbot/shared/deadline"
)

// Options tune a cache; zero values take the defaults.
type Options struct {
	Timeout time.Duration // of each Redis call, after which the read goes to Postgres; default 50ms
	TTL     time.Duration // of an entry, a safety net: invalidation is what keeps entries fresh; default 10m
	Pause   time.Duration // how long reads leave Redis alone after it failed; default 1s
	Logger  *slog.Logger
}

// Cache is the cache of one process: reads look entries up and fill them,
// projectors invalidate.
type Cache struct {
	store Store
	opts  Options
	m     *metrics
	log   *slog.Logger

	bound       *deadline.Source // each read's wait for Redis (opts.Timeout)
	pausedUntil atomic.Int64     // unix nanoseconds; Redis failed, reads skip it until then
	down        atomic.Bool      // Redis failed last time it was tried
	lost        atomic.Bool      // an invalidation could not be written; the epoch is due a bump
	suffix      string           // makes this process's generations unique
}

// New is a cache over store; reg takes its metrics (nil: none).
func New(store Store, o Options, reg prometheus.Registerer) *Cache {
	if o.Timeout <= 0 {
		o.Timeout = 50 * time.Millisecond
	}
	if o.TTL <= 0 {
		o.TTL = 10 * time.Minute
	}
	if o.Pause <= 0 {
		o.Pause = time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return &Cache{store: store, opts: o, m: newMetrics(reg), log: o.Logger, suffix: hex.EncodeToString(b[:]),
		bound: deadline.New(o.Timeout)}
}

// Close releases the store.
func (c *Cache) Close() { c.store.Close() }

// Lookup finds spec's entry for a read that must reflect position min.
// It answers the entry's key even on a miss, for Fill once the read is
// done; key is "" when the cache cannot serve this read (Redis is down or
// slow, or spec is not one it can key), and the read goes to Postgres
// alone. The generations are taken before the caller reads Postgres:
// that order is what retires an entry filled from a read that raced a
// commit.
func (c *Cache) Lookup(ctx context.Context, spec Spec, min uint64) (key string, e Entry, hit bool) {
	if !spec.valid() || !c.available() || ctx.Err() != nil {
		c.m.bypass.Inc()
		return "", e, false
	}
	// Redis gets opts.Timeout whatever the request has left, from a
	// context shared by the reads of the same few milliseconds (a timer
	// per read cost more than a hit).
	rctx := c.bound.Context()
	gens, err := c.gens(rctx, spec)
	if err != nil {
		c.failed(err)
		c.m.bypass.Inc()
		return "", e, false
	}
	key = spec.key(gens[0], gens[1:])
	raw, found, err := c.store.Get(rctx, key)
	if err != nil {
		c.failed(err)
		c.m.bypass.Inc()
		return "", e, false
	}
	c.recovered()
	if !found {
		c.m.miss.Inc()
		return key, e, false
	}
	if e, err = decodeEntry(raw); err != nil || e.Tenant != spec.Tenant {
		// A key names its tenant, so this cannot happen short of a bug
		// or a foreign writer; whatever it is, it is not served.
		c.log.Error("cache entry refused", "key", key, "entry_tenant", e.Tenant, "err", err)
		c.m.refused.Inc()
		return key, Entry{}, false
	}
	if e.Through < min {
		c.m.stale.Inc() // older than the client's write: Postgres answers
		return key, e, false
	}
	c.m.hit.Inc()
	return key, e, true
}

// gens are the epoch's and spec's generations, each made when missing.
func (c *Cache) gens(ctx context.Context, spec Spec) ([]string, error) {
	keys := spec.genKeys()
	gens, err := c.store.Gens(ctx, keys)
	if err != nil {
		return nil, err
	}
	for i, g := range gens {
		if g == "" {
			if gens[i], err = c.store.InitGen(ctx, keys[i], c.newGen(), c.genTTL()); err != nil {
				return nil, err
			}
		}
	}
	return gens, nil
}

// Fill stores e under key, a key Lookup gave, in the background: the read
// answers without waiting for Redis.
func (c *Cache) Fill(ctx context.Context, key string, e Entry) {
	if key == "" {
		return
	}
	value := e.encode()
	go func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.opts.Timeout)
		defer cancel()
		if err := c.store.Set(ctx, key, value, c.opts.TTL); err != nil {
			c.failed(err)
		}
	}()
}

// newGen is a generation no key has had: generations are compared for
// equality only, so a key that expired and is made again never brings
// back the entries of its past.
func (c *Cache) newGen() string {
	return strconv.FormatInt(time.Now().UnixNano(), 36) + c.suffix
}

// genTTL outlives every entry filed under the generation.
func (c *Cache) genTTL() time.Duration { return 2 * c.opts.TTL }

// available is false while reads leave a failed Redis alone.
func (c *Cache) available() bool {
	return time.Now().UnixNano() >= c.pausedUntil.Load()
}

func (c *Cache) failed(err error) {
	c.pausedUntil.Store(time.Now().Add(c.opts.Pause).UnixNano())
	c.m.up.Set(0)
	if !c.down.Swap(true) {
		c.log.Warn("query cache unavailable; reads go to Postgres", "err", err)
	}
}

func (c *Cache) recovered() {
	if c.down.Swap(false) {
		c.m.up.Set(1)
		c.log.Info("query cache available again")
	}
}

// Check is for readiness: an error while reads bypass the cache.
func (c *Cache) Check(ctx context.Context) error {
	if c.down.Load() && !c.available() {
		return errors.New("unreachable; reads go to Postgres")
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout*4)
	defer cancel()
	if err := c.store.Ping(ctx); err != nil {
		c.failed(err)
		return errors.New("unreachable; reads go to Postgres")
	}
	c.recovered()
	return nil
}
