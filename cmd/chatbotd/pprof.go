package main

import (
	"log/slog"
	"net/http"
	"net/http/pprof"
	goruntime "runtime"
	"time"
)

// servePprof serves Go's profiles (CPU, heap, goroutines, locks, blocking, execution trace)
// on addr, apart from the API, for an operator chasing a stall or memory.
func servePprof(addr string, log *slog.Logger) {
	// Lock contention (1 in 10 contended locks) and blocking (every wait
	// over a millisecond, shorter ones sampled) are recorded only while
	// the endpoint is on: /debug/pprof/mutex and /debug/pprof/block, with
	// ?seconds=N for what happened in the next N seconds.
	goruntime.SetMutexProfileFraction(10)
	goruntime.SetBlockProfileRate(int(time.Millisecond))
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.ListenAndServe(); err != nil {
			log.Warn("profiling endpoint stopped", "addr", addr, "err", err)
		}
	}()
	log.Info("profiling endpoint", "addr", addr)
}
