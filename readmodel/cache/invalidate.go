package cache

import (
	"context"
	"time"
)

// Invalidate retires the entries of projection that hold the rows of
// tenants, a projector having committed changes to them. Tenants nil
// retires every entry of every tenant: a rebuild swapped tables in, or a
// projector took over and cannot know what its predecessor committed last.
//
// It waits for Redis at most the cache's timeout. When Redis cannot be
// told, whatever entries it still holds may be stale once it returns, so
// the cache keeps trying to retire them all (Keep) until it can.
func (c *Cache) Invalidate(projection string, tenants []string) {
	ctx, cancel := context.WithTimeout(context.Background(), c.opts.Timeout)
	defer cancel()
	if tenants == nil {
		if err := c.bumpEpoch(ctx); err != nil {
			c.lose(err)
			return
		}
		c.m.invalidations.WithLabelValues(projection, "all").Inc()
		return
	}
	keys := make([]string, len(tenants))
	values := make([]string, len(tenants))
	for i, t := range tenants {
		keys[i], values[i] = genKey(t, projection), c.newGen()
	}
	if err := c.store.SetGens(ctx, keys, values, c.genTTL()); err != nil {
		c.lose(err)
		return
	}
	c.m.invalidations.WithLabelValues(projection, "tenant").Add(float64(len(tenants)))
}

func (c *Cache) bumpEpoch(ctx context.Context) error {
	if err := c.store.SetGens(ctx, []string{epochKey}, []string{c.newGen()}, c.genTTL()); err != nil {
		return err
	}
	c.lost.Store(false)
	return nil
}

func (c *Cache) lose(err error) {
	c.m.lostInvalidations.Inc()
	if !c.lost.Swap(true) {
		c.log.Warn("query cache invalidation failed; every entry is retired once Redis answers", "err", err)
	}
}

// Keep retires every entry as soon as Redis answers after an
// invalidation was lost, until ctx ends. A projector process runs it.
func (c *Cache) Keep(ctx context.Context) {
	t := time.NewTicker(c.opts.Pause)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !c.lost.Load() {
			continue
		}
		bctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
		if err := c.bumpEpoch(bctx); err == nil {
			c.m.invalidations.WithLabelValues("*", "all").Inc()
			c.log.Info("query cache retired whole after lost invalidations")
		}
		cancel()
	}
}
