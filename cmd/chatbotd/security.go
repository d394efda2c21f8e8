package main

import (
	"context"
	"github.com/chatbotsaas/chatbot/projector"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/chatbotsaas/chatbot/command"
	"github.com/chatbotsaas/chatbot/command/app"
	"github.com/chatbotsaas/chatbot/command/bot"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/command/usage"
	"github.com/chatbotsaas/chatbot/shared/auth"
	"github.com/chatbotsaas/chatbot/shared/config"
	"github.com/chatbotsaas/chatbot/shared/httpx"
	"github.com/chatbotsaas/chatbot/shared/policy"
	"github.com/chatbotsaas/chatbot/shared/ratelimit"
)

// security is what every API-serving process shares: the policy in force,
// the signing keys, the revocation view and the guard.
type security struct {
	policy  *policy.Holder
	keys    *auth.KeySet
	tokens  *auth.Tokens
	revoked *auth.Revocations
	guard   *auth.Guard
}

func openSecurity(ctx context.Context, rt *runtime, cfg config.Config, origins *httpx.Origins) (*security, error) {
	initial := policy.Default()
	initial.CORSAllowedOrigins = cfg.CORSAllowedOrigins
	s := &security{policy: policy.NewHolder(initial)}
	var err error
	if s.keys, err = auth.LoadKeys(cfg.JWTPrivateKeyFile, cfg.JWTPublicKeyFiles, cfg.DataDir, rt.log); err != nil {
		return nil, err
	}
	s.tokens = auth.NewTokens(s.keys, cfg.JWTIssuer, cfg.JWTAudience, time.Now)
	s.revoked = auth.NewRevocations(func() time.Duration { return s.policy.Get().AccessTTL }, time.Now)
	// The stream must exist before the view can follow it.
	if _, err := eventstore.Open(ctx, rt.js, eventstore.Options{Replicas: cfg.NATSReplicas, Logger: rt.log}); err != nil {
		return nil, err
	}
	if err := s.revoked.Follow(context.WithoutCancel(ctx), rt.js, rt.log); err != nil {
		return nil, err
	}
	// A configuration recorded in the stream overrides the settings' defaults.
	applyOrigins := func(p policy.Policy) { origins.Set(p.CORSAllowedOrigins) }
	if err := policy.Follow(context.WithoutCancel(ctx), rt.js, s.policy, applyOrigins, rt.log); err != nil {
		return nil, err
	}
	s.guard = auth.NewGuard(s.tokens, s.revoked, cfg.TrustedProxies)
	return s, nil
}

func mountCommand(ctx context.Context, rt *runtime, cfg config.Config, srv *httpx.Server, sec *security, testCost int) (func(), error) {
	vault, err := rt.personalData(ctx)
	if err != nil {
		return nil, err
	}
	js := rt.requestJetStream()
	store, err := eventstore.Open(ctx, js, eventstore.Options{
		Replicas: cfg.NATSReplicas, Metrics: rt.storeMetrics(), Logger: rt.log, Vault: vault,
	})
	if err != nil {
		return nil, err
	}
	cost := cfg.BcryptCost
	if testCost > 0 {
		cost = testCost
	}
	hashers := makeHasher(cost, []byte(cfg.PasswordPepper), testCost > 0)
	// The bot API's directory first: the changes that make bot calls fail
	// wait until every process serving them has applied them.
	bots, err := openBotAPI(ctx, rt, store, sec)
	made := <-hashers
	if err != nil {
		return nil, err
	}
	if made.err != nil {
		return nil, made.err
	}
	hasher := made.h
	cmds, err := app.New(ctx, app.Deps{
		Store: store, JS: js, Replicas: cfg.NATSReplicas, Hasher: hasher, Tokens: sec.tokens,
		Policy: sec.policy, Revocations: sec.revoked, ResetKey: vault, Now: time.Now,
		Projections: knownProjection, NATS: rt.js.Conn(), Propagation: bots.Directory,
		Metrics: app.NewMetrics(rt.metrics.Registry), Logger: rt.log,
	})
	if err != nil {
		return nil, err
	}
	if err := bootstrapAdmin(ctx, rt, cfg, cmds); err != nil {
		return nil, err
	}
	side := command.New(command.Deps{Commands: cmds, Policy: sec.policy, Bot: bots,
		Throttle: auth.NewThrottle(rt.redis, time.Now), Logger: rt.log})
	side.Register(srv.API)
	// After the HTTP server has drained: every call it acknowledged is
	// recorded before the process ends.
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
		defer cancel()
		_ = bots.Usage.Close(ctx)
	}, nil
}

// openBotAPI builds the bot API: its directory of keys and chatbots, the
// rate limiter and the usage recorder.
func openBotAPI(ctx context.Context, rt *runtime, store *eventstore.Store, sec *security) (*bot.API, error) {
	dir := bot.NewDirectory()
	if err := dir.Follow(context.WithoutCancel(ctx), rt.js, rt.cfg.NATSReplicas, rt.log); err != nil {
		return nil, err
	}
	rec := usage.New(store, usage.Options{Logger: rt.log, Metrics: usage.NewMetrics(rt.metrics.Registry)})
	rec.Start()
	limiter := ratelimit.New(rt.redis, time.Now, rt.log)
	ratelimit.Metric(rt.metrics.Registry, limiter)
	return &bot.API{Directory: dir, Limiter: limiter, Usage: rec, Store: store,
		Policy: sec.policy, Now: time.Now, Logger: rt.log, Metrics: bot.NewMetrics(rt.metrics.Registry)}, nil
}

// idempotencyCaller scopes an Idempotency-Key to the session of a bearer
// token or to the API key of a bot call, once the route's guard has
// accepted it; for a company route, to a company the caller may act on.
func idempotencyCaller(ctx huma.Context) (string, error) {
	if p, ok := auth.PrincipalFrom(ctx.Context()); ok {
		if cid := ctx.Param("cid"); cid != "" {
			if _, err := auth.CompanyOf(ctx.Context(), cid); err != nil {
				return "", err
			}
		}
		return "session:" + p.SessionID, nil
	}
	if id, ok := bot.KeyID(ctx.Context()); ok {
		return "api_key:" + id, nil
	}
	return "", nil
}

// knownProjection tells the projections a rebuild may be asked for.
func knownProjection(name string) bool {
	_, ok := projector.Lookup(name)
	return ok
}

type madeHasher struct {
	h   *auth.Hasher
	err error
}

// makeHasher makes the password hasher on the side: it times one bcrypt
// operation as it is made (about a tenth of a second), which runs on the
// other core while the bot directory loads.
func makeHasher(cost int, pepper []byte, allowWeak bool) <-chan madeHasher {
	out := make(chan madeHasher, 1)
	go func() {
		h, err := auth.NewHasher(cost, pepper, allowWeak)
		out <- madeHasher{h, err}
	}()
	return out
}
