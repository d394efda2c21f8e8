package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"time"
)

// startupTargetMs is PERFORMANCE.md's start-up: serve ready (migrations
// applied, embedded NATS up) in 2 s on a warm machine.
const startupTargetMs = 2000

// benchStartup times chatbotd serve from exec to /readyz answering 200:
// once on an empty database and data directory (every migration, the
// stream and buckets created), then cfg.starts restarts on the same ones.
func benchStartup(cfg runConfig) (Result, error) {
	ctx := context.Background()
	fresh, err := newBenchDB(ctx, withoutMigrations())
	if err != nil {
		return Result{}, err
	}
	defer fresh.Close()
	dir, _ := os.MkdirTemp("", "chatbot-bench-startup")
	defer os.RemoveAll(dir)
	url, _ := withDatabase(adminURL(), fresh.name)
	env := append(os.Environ(), "DATABASE_URL="+url, "NATS_LISTEN=127.0.0.1:0", "DATA_DIR="+dir, "LOG_LEVEL=error", "REDIS_URL="+redisURL())
	first, took, err := startServe(env)
	if err != nil {
		return Result{}, err
	}
	first.stop()
	var ready []time.Duration
	for range max(cfg.starts, 2) {
		p, d, err := startServe(env)
		if err != nil {
			return Result{}, err
		}
		p.stop()
		ready = append(ready, d)
	}
	slices.Sort(ready)
	load := Load{Requests: len(ready), Rate: float64(len(ready)) / sum(ready).Seconds(),
		P50ms: pct(ready, 0.5), P99ms: pct(ready, 0.99), P999ms: pct(ready, 0.999)}
	return Result{
		Name: "chatbotd serve start-up to /readyz", Ceiling: "—",
		P50MaxMs: startupTargetMs, P99MaxMs: startupTargetMs, Load: load,
		Extra: []Check{atMost("slowest warm start", ms(ready[len(ready)-1]), startupTargetMs, " ms")},
		Note: fmt.Sprintf("first start on an empty database and data directory (every migration, the stream and buckets made): %.0f ms; then %d restarts on them, latencies are theirs (rate: starts per second of starting)",
			ms(took), len(ready)),
	}, nil
}

func sum(ds []time.Duration) time.Duration {
	var t time.Duration
	for _, d := range ds {
		t += d
	}
	return t
}
