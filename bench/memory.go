package main

import (
	"context"
	"fmt"
	"time"
)

// PERFORMANCE.md's memory: serve's resident set idle and under the bench.
const (
	idleTargetMB = 80
	peakTargetMB = 250
	// afterSlackMB is how far above idle serve may stay once the load has
	// ended: what it holds for nothing.
	afterSlackMB = 50
)

// benchMemory reads chatbotd serve's resident set idle, at its peak under
// a mixed load (reads, bot calls, creates, logins), and idle again after.
func benchMemory(cfg runConfig) (Result, error) {
	p, err := startProduct(context.Background(), "REDIS_URL="+redisURL())
	if err != nil {
		return Result{}, err
	}
	defer p.Close()
	if err := p.signup("soak-login@example.com"); err != nil {
		return Result{}, err
	}
	m, err := newMixed(p, "memory@example.com")
	if err != nil {
		return Result{}, err
	}
	pid := p.cmd.Process.Pid
	time.Sleep(cfg.idle)
	idle := procRSSMB(pid)
	tr := p.track()
	load := closedLoopFn(16, 2*cfg.duration, m.op)
	_, peak := tr.finish(load.Requests)
	time.Sleep(cfg.idle)
	after := procRSSMB(pid)
	return Result{
		Name: "chatbotd serve resident set, idle and under a mixed load", Ceiling: "—", Load: load, RSSPeakMB: peak,
		Extra: []Check{
			atMost("RSS idle", idle, idleTargetMB, " MB"),
			atMost("RSS peak under load", peak, peakTargetMB, " MB"),
			atMost("RSS held after the load beyond idle", after-idle, afterSlackMB, " MB"),
		},
		Note: fmt.Sprintf("idle %.0f MB after %s; peak %.0f MB under 16 workers for %s (6 GET /v1/me, 6 bot calls, 3 creates, 1 login); %.0f MB %s after; latencies are of the mixed requests",
			idle, cfg.idle, peak, 2*cfg.duration, after, cfg.idle),
	}, nil
}
