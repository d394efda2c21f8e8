package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime/debug"
	"time"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/projector"
	"github.com/chatbotsaas/chatbot/query"
	"github.com/chatbotsaas/chatbot/readmodel"
	"github.com/chatbotsaas/chatbot/shared/config"
	"github.com/chatbotsaas/chatbot/shared/httpx"
	"github.com/chatbotsaas/chatbot/shared/policy"
)

// part is one of the sides a process can run.
type part int

const (
	partCommand part = 1 << iota
	partQuery
	partProjector
	partAll = partCommand | partQuery | partProjector
)

func runServe(ctx context.Context, e env, cfg config.Config, args []string) error {
	if len(args) > 0 {
		return usageError("serve takes no arguments")
	}
	return runParts(ctx, e, cfg, "serve", partAll, natsOwn)
}

func runSplit(p part) func(context.Context, env, config.Config, []string) error {
	names := map[part]string{partCommand: "command", partQuery: "query", partProjector: "projector"}
	return func(ctx context.Context, e env, cfg config.Config, args []string) error {
		if len(args) > 0 {
			return usageError(names[p] + " takes no arguments")
		}
		return runParts(ctx, e, cfg, names[p], p, natsShared)
	}
}

// runParts starts the given parts on one runtime and one HTTP server, and
// stops them in order when ctx ends: stop accepting and drain requests,
// stop the projectors, then close the connections and the embedded server.
func runParts(ctx context.Context, e env, cfg config.Config, name string, parts part, mode natsMode) error {
	started := time.Now()
	open := stores(0)
	if parts&(partQuery|partProjector) != 0 {
		open |= withPostgres
	}
	if parts&(partQuery|partCommand) != 0 {
		open |= withRedis
	}
	rt, err := openRuntime(ctx, e, cfg, name, mode, open)
	if err != nil {
		return err
	}
	defer rt.close()
	var stops stopStack
	defer stops.run()

	origins := httpx.NewOrigins(cfg.CORSAllowedOrigins)
	srv := httpx.New(httpx.Options{
		Title: "Chatbot Platform API", Version: versionString(),
		BodyLimit: cfg.BodyLimit, ReadTimeout: cfg.HTTPReadTimeout, WriteTimeout: cfg.HTTPWriteTimeout,
		IdleTimeout: cfg.HTTPIdleTimeout, RequestTimeout: cfg.RequestTimeout,
		Origins: origins, Metrics: rt.metrics, Logger: rt.log,
		AccessLog: httpx.AccessLog{Success: cfg.AccessLog, Slow: cfg.SlowRequestThreshold},
	})
	config, err := mountSides(ctx, e, rt, cfg, srv, origins, parts, &stops)
	if err != nil {
		return err
	}
	policy.Metric(rt.metrics.Registry, config)
	if parts&(partQuery|partProjector) != 0 {
		if _, err := rt.queryCache(); err != nil {
			return err
		}
	}
	checks := append(rt.checks(), rt.jetstreamCheck(streamsOf(parts)), rt.queryCacheCheck())
	httpx.RegisterOps(srv, checks, rt.metrics.Registry)
	// A chatbot is one schema whether a write or a read answers it.
	httpx.FinishSpec(srv.API, map[string]string{"ChatbotBody": "Chatbot"})
	rt.metrics.Registry.MustRegister(httpx.ReadinessCollector(checks), newStreamCollector(rt.js))
	if parts&partProjector != 0 {
		if err := startProjector(ctx, rt, cfg, config, &stops); err != nil {
			return err
		}
	}
	return serveHTTP(ctx, rt, cfg, srv, started)
}

// stopStack holds what a process started, stopped in reverse order.
type stopStack []func()

func (s *stopStack) push(stop func()) { *s = append(*s, stop) }

func (s stopStack) run() {
	for i := len(s) - 1; i >= 0; i-- {
		s[i]()
	}
}

// mountSides mounts the command and query sides a process runs, and
// answers the configuration holder they follow (a projector process gets
// its own).
func mountSides(ctx context.Context, e env, rt *runtime, cfg config.Config, srv *httpx.Server, origins *httpx.Origins, parts part, stops *stopStack) (*policy.Holder, error) {
	if parts&(partCommand|partQuery) == 0 {
		// A projector process follows the configuration too: projections
		// and background consumers read it from the same holder.
		config := policy.NewHolder(policy.Default())
		if _, err := events.EnsureStream(ctx, rt.js, cfg.NATSReplicas); err != nil {
			return nil, err
		}
		return config, policy.Follow(context.WithoutCancel(ctx), rt.js, config, nil, rt.log)
	}
	sec, err := openSecurity(ctx, rt, cfg, origins)
	if err != nil {
		return nil, err
	}
	srv.API.UseMiddleware(sec.guard.Middleware(srv.API))
	httpx.RegisterDocs(srv)
	if parts&partCommand != 0 {
		// Before the routes: each POST registered from here on gets it.
		idem, err := httpx.OpenIdempotency(ctx, rt.requestJetStream(), httpx.IdempotencyOptions{
			Replicas: cfg.NATSReplicas, RequestTimeout: cfg.RequestTimeout, Registry: rt.metrics.Registry, Logger: rt.log,
		})
		if err != nil {
			return nil, err
		}
		idem.Attach(srv.API, idempotencyCaller)
		closeCommand, err := mountCommand(ctx, rt, cfg, srv, sec, e.testBcryptCost)
		if err != nil {
			return nil, err
		}
		stops.push(closeCommand)
	}
	if parts&partQuery != 0 {
		if err := mountQuery(ctx, rt, cfg, srv, sec, stops); err != nil {
			return nil, err
		}
	}
	return sec.policy, nil
}

func mountQuery(ctx context.Context, rt *runtime, cfg config.Config, srv *httpx.Server, sec *security, stops *stopStack) error {
	follower, err := readmodel.Follow(rt.nc, rt.log)
	if err != nil {
		return fmt.Errorf("projection progress: %v", err)
	}
	stops.push(follower.Close)
	replicas, closeReplicas, err := openReplicas(ctx, rt, cfg, follower)
	if err != nil {
		return err
	}
	stops.push(closeReplicas)
	qc, err := rt.queryCache()
	if err != nil {
		return err
	}
	side := query.New(query.Deps{
		Pool: rt.pool, Replicas: replicas, Cache: qc, Logger: rt.log, ReadWait: cfg.ReadWaitTimeout, Keys: sec.keys, Policy: sec.policy,
		Progress: projector.NewProgress(rt.pool, rt.js, projections(cfg)), Follower: follower,
	})
	side.Register(srv.API)
	stops.push(side.Close)
	return nil
}

// startProjector runs the projections and the background tasks.
func startProjector(ctx context.Context, rt *runtime, cfg config.Config, config *policy.Holder, stops *stopStack) error {
	vault, err := rt.personalData(ctx)
	if err != nil {
		return err
	}
	runner := projector.New(projector.Deps{
		Pool: rt.pool, JS: rt.js, Registry: events.Default, Logger: rt.log,
		Metrics: projector.NewMetrics(rt.metrics.Registry), Vault: vault, Invalidate: rt.invalidator(),
	}, projections(cfg), projector.Options{Replicas: cfg.NATSReplicas})
	if rt.qcache != nil {
		go rt.qcache.Keep(ctx)
	}
	if err := runner.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	stops.push(runner.Stop)
	stopTasks, err := startTasks(ctx, rt, cfg, config)
	if err != nil {
		return err
	}
	stops.push(stopTasks)
	return nil
}

// serveHTTP serves until ctx ends, then drains the requests in flight.
func serveHTTP(ctx context.Context, rt *runtime, cfg config.Config, srv *httpx.Server, started time.Time) error {
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s (HTTP_ADDR): %v", cfg.HTTPAddr, unwrapOp(err))
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.App.Listener(ln) }()
	rt.log.Info("ready", "addr", ln.Addr().String(), "startup_ms", time.Since(started).Milliseconds(), "version", versionString())
	// What start-up read and dropped (the key index's snapshot, the views'
	// catch-up) goes back to the system now rather than over minutes.
	go debug.FreeOSMemory()

	select {
	case err := <-serveErr:
		return fmt.Errorf("HTTP server stopped: %v", err)
	case <-ctx.Done():
	}
	rt.log.Info("shutting down", "grace", cfg.ShutdownTimeout.String())
	if err := srv.App.ShutdownWithTimeout(cfg.ShutdownTimeout); err != nil {
		rt.log.Warn("in-flight requests cut at the shutdown deadline", "err", err)
	}
	rt.log.Info("stopped")
	return nil
}

func unwrapOp(err error) error {
	var op *net.OpError
	if errors.As(err, &op) {
		return op.Err
	}
	return err
}
