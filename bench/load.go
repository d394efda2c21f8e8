package main

import (
	"context"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Load is the outcome of one closed-loop run.
type Load struct {
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	Rate     float64 `json:"rate_per_s"`
	P50ms    float64 `json:"p50_ms"`
	P99ms    float64 `json:"p99_ms"`
	P999ms   float64 `json:"p999_ms"`
}

// closedLoop runs workers that each send the next HTTP request as soon as
// the previous one is answered, for d, and reports rate and latency.
func closedLoop(workers int, d time.Duration, newReq func() *http.Request, ok func(*http.Response) bool) Load {
	return closedLoopFn(workers, d, httpOp(workers, newReq, ok))
}

// httpOp sends one request of newReq on a client of its own (workers
// connections kept alive) and says whether ok holds for the answer.
func httpOp(workers int, newReq func() *http.Request, ok func(*http.Response) bool) func(worker int) bool {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers}}
	return func(int) bool {
		res, err := client.Do(newReq())
		if err != nil {
			return false
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		return ok(res)
	}
}

// closedLoopFn runs workers that each call op again as soon as it returns,
// for d, and reports rate and latency of the calls that succeeded.
func closedLoopFn(workers int, d time.Duration, op func(worker int) bool) Load {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var mu sync.Mutex
	var all []time.Duration
	errs := 0
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			bad := 0
			for ctx.Err() == nil {
				t0 := time.Now()
				if !op(w) {
					bad++
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			all = append(all, mine...)
			errs += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	slices.Sort(all)
	return Load{
		Requests: len(all), Errors: errs, Rate: float64(len(all)) / elapsed.Seconds(),
		P50ms: pct(all, 0.50), P99ms: pct(all, 0.99), P999ms: pct(all, 0.999),
	}
}

func pct(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p)
	return float64(sorted[i].Microseconds()) / 1000
}
