package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatbotsaas/chatbot/query"
	"github.com/chatbotsaas/chatbot/readmodel/cache"
	"github.com/chatbotsaas/chatbot/shared/auth"
	"github.com/chatbotsaas/chatbot/shared/httpx"
	"github.com/chatbotsaas/chatbot/shared/observability"
)

// readServer is GET /v1/me as the query side serves it (edge, guard, read,
// JSON), over qc when given, with a bearer token for every tenth seeded user.
type readServer struct {
	base    string
	bearers []string
	stop    func()
}

func startReadServer(db *benchDB, keys []tenantKey, qc *cache.Cache) (*readServer, error) {
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, err
	}
	keySet := auth.NewKeySet(priv)
	tokens := auth.NewTokens(keySet, "bench", "bench", time.Now)
	guard := auth.NewGuard(tokens, auth.NewRevocations(func() time.Duration { return time.Hour }, time.Now), nil)
	srv := httpx.New(edgeOptions(observability.NewMetrics()))
	srv.API.UseMiddleware(guard.Middleware(srv.API))
	query.New(query.Deps{Pool: db.Pool, Cache: qc, Keys: keySet, ReadWait: time.Second}).Register(srv.API)
	base, stop, err := listen(srv.App)
	if err != nil {
		return nil, err
	}
	rs := &readServer{base: base, stop: stop}
	for i := 0; i < len(keys); i += 10 {
		k := keys[i]
		tok, err := tokens.Issue(auth.Principal{UserID: k.id, SessionID: uuid.NewString(), Role: auth.RoleUser, CompanyID: k.tenant}, time.Hour)
		if err != nil {
			stop()
			return nil, err
		}
		rs.bearers = append(rs.bearers, "Bearer "+tok)
	}
	return rs, nil
}

// get is a closed-loop op: GET path with a random user's token, 200 wanted.
func (rs *readServer) get(workers int, path string) func(int) bool {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers}}
	return func(int) bool {
		req, _ := http.NewRequest("GET", rs.base+path, nil)
		if len(rs.bearers) > 0 {
			req.Header.Set("Authorization", rs.bearers[rand.IntN(len(rs.bearers))])
		}
		res, err := client.Do(req)
		if err != nil {
			return false
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		return res.StatusCode == 200
	}
}

// benchCachedGet compares GET /v1/me served from the query cache with
// Fiber hello-world JSON, and the same route over the other cache design
// (go-redis with an in-process map, a Redis round trip per read for the
// generations).
func benchCachedGet(cfg runConfig) (Result, error) {
	ctx := context.Background()
	db, keys, err := tenantUsersDB(ctx)
	if err != nil {
		return Result{}, err
	}
	defer db.Close()
	helloURL, stopHello, err := helloWorld()
	if err != nil {
		return Result{}, err
	}
	defer stopHello()
	reg := prometheus.NewRegistry()
	rstore, err := cache.NewRueidisStore(redisURL(), time.Second, 200*time.Millisecond)
	if err != nil {
		return Result{}, err
	}
	rueidisCache := cache.New(rstore, cache.Options{}, reg)
	defer rueidisCache.Close()
	gstore, err := newGoRedisStore(redisURL())
	if err != nil {
		return Result{}, err
	}
	goRedisCache := cache.New(gstore, cache.Options{}, nil)
	defer goRedisCache.Close()
	cached, err := startReadServer(db, keys, rueidisCache)
	if err != nil {
		return Result{}, err
	}
	defer cached.stop()
	other, err := startReadServer(db, keys, goRedisCache)
	if err != nil {
		return Result{}, err
	}
	defer other.stop()

	hello := func(int) bool { return getOK(helloURL + "/") }
	me, meOther := cached.get(cfg.workers, "/v1/me"), other.get(cfg.workers, "/v1/me")
	if err := findsEveryone(me, meOther); err != nil {
		return Result{}, err
	}
	interleaved(cfg.workers, max(cfg.duration/5, 200*time.Millisecond), 1, hello, me, meOther) // warm up: fills the caches
	before := cacheReads(reg)
	loads := interleaved(cfg.workers, cfg.duration/tenantReadRounds, tenantReadRounds, hello, me, meOther)
	after := cacheReads(reg)
	hits := after["hit"] - before["hit"]
	total := 0.0
	for r, n := range after {
		total += n - before[r]
	}
	ratio := 0.0
	if total > 0 {
		ratio = hits / total
	}
	return Result{
		Name: "cached GET /v1/me", Ceiling: "Fiber hello-world JSON",
		Target: 0.5, Ratio: loads[1].Rate / loads[0].Rate, Load: loads[1], Base: loads[0],
		Note: fmt.Sprintf("edge, guard (EdDSA token of one of %d users), query cache, JSON; hit ratio %.3f over %.0f reads; "+
			"rueidis with client-side caching %s; go-redis with an in-process map (a Redis round trip per read for the generations) %s",
			len(cached.bearers), ratio, total, figures(loads[1], loads[0]), figures(loads[2], loads[0])),
	}, nil
}

// benchUncachedGet compares GET /v1/me without a cache (Postgres on every
// read, a point read: query.PointQueryRow) with a bare Fiber handler doing the
// same point select plainly and answering its JSON.
func benchUncachedGet(cfg runConfig) (Result, error) {
	ctx := context.Background()
	db, keys, err := tenantUsersDB(ctx)
	if err != nil {
		return Result{}, err
	}
	defer db.Close()
	bare := fiber.New(fiber.Config{DisableStartupMessage: true})
	bare.Get("/me/:tenant/:id", func(c *fiber.Ctx) error {
		var m query.Me
		if err := db.Pool.QueryRow(c.Context(), meSQL, c.Params("tenant"), c.Params("id")).
			Scan(&m.ID, &m.Email, &m.Name, &m.Role, &m.CompanyID, &m.Status, &m.CreatedAt); err != nil {
			return err
		}
		return c.JSON(m)
	})
	bareURL, stopBare, err := listen(bare)
	if err != nil {
		return Result{}, err
	}
	defer stopBare()
	product, err := startReadServer(db, keys, nil)
	if err != nil {
		return Result{}, err
	}
	defer product.stop()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: cfg.workers, MaxConnsPerHost: cfg.workers}}
	plain := func(int) bool {
		k := keys[rand.IntN(len(keys)/10)*10] // the users the product's tokens name
		res, err := client.Get(bareURL + "/me/" + k.tenant + "/" + k.id)
		if err != nil {
			return false
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		return res.StatusCode == 200
	}
	me := product.get(cfg.workers, "/v1/me")
	if err := findsEveryone(plain, me); err != nil {
		return Result{}, err
	}
	interleaved(cfg.workers, max(cfg.duration/5, 200*time.Millisecond), 1, plain, me) // warm up
	loads := interleaved(cfg.workers, cfg.duration/tenantReadRounds, tenantReadRounds, plain, me)
	return Result{
		Name: "uncached GET /v1/me", Ceiling: "Fiber + pgx point select",
		Target: 0.8, Ratio: loads[1].Rate / loads[0].Rate, Load: loads[1], Base: loads[0],
		Note: fmt.Sprintf("edge, guard (EdDSA token of one of %d users), a point read (query.PointQueryRow), JSON, no cache; "+
			"ceiling: a bare Fiber handler, the same SELECT as the connecting user, its JSON; plain %s; product %s",
			len(product.bearers), figures(loads[0], loads[0]), figures(loads[1], loads[0])),
	}, nil
}

// cacheReads are the query cache's reads by result.
func cacheReads(reg *prometheus.Registry) map[string]float64 {
	out := map[string]float64{}
	mfs, err := reg.Gather()
	if err != nil {
		return out
	}
	for _, mf := range mfs {
		if mf.GetName() != "chatbot_query_cache_reads_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" {
					out[l.GetValue()] = m.GetCounter().GetValue()
				}
			}
		}
	}
	return out
}

var helloClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}}

// getOK is a GET that must answer 200.
func getOK(url string) bool {
	res, err := helloClient.Get(url)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	return res.StatusCode == 200
}
