package main

import (
	"context"
	"time"

	"github.com/chatbotsaas/chatbot/readmodel/cache"
	"github.com/chatbotsaas/chatbot/shared/httpx"
)

// queryCache is this process's query cache, opened on first use; nil
// without REDIS_URL or with QUERY_CACHE_TTL=0. Reads and projectors of one
// process share it.
func (rt *runtime) queryCache() (*cache.Cache, error) {
	if rt.qcache != nil || rt.cfg.RedisURL == "" || rt.cfg.QueryCacheTTL == 0 {
		return rt.qcache, nil
	}
	// Generations are trusted from memory for at most a second: Redis's
	// invalidation pushes keep them current; this bounds a lost one.
	store, err := cache.NewRueidisStore(rt.cfg.RedisURL, time.Second, 4*rt.cfg.QueryCacheTimeout)
	if err != nil {
		return nil, err
	}
	rt.qcache = cache.New(store, cache.Options{
		Timeout: rt.cfg.QueryCacheTimeout, TTL: rt.cfg.QueryCacheTTL, Logger: rt.log,
	}, rt.metrics.Registry)
	return rt.qcache, nil
}

// queryCacheCheck reports the query cache in readiness: down degrades,
// as reads still answer from Postgres.
func (rt *runtime) queryCacheCheck() httpx.Check {
	c := httpx.Check{Name: "query_cache"}
	if rt.qcache != nil {
		qc := rt.qcache
		c.Probe = func(ctx context.Context) error { return qc.Check(ctx) }
	}
	return c
}

// invalidator is the projectors' hook into the query cache, nil without one.
func (rt *runtime) invalidator() func(projection string, tenants []string) {
	if rt.qcache == nil {
		return nil
	}
	return rt.qcache.Invalidate
}
