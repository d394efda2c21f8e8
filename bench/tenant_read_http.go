package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/chatbotsaas/chatbot/query"
	"github.com/chatbotsaas/chatbot/shared/auth"
	"github.com/chatbotsaas/chatbot/shared/httpx"
	"github.com/chatbotsaas/chatbot/shared/observability"
)

// benchTenantReadHTTP is the same comparison as the query side serves it:
// GET /v1/me read through the row-security helper against a copy of it
// that reads plainly (the ceiling), and the product's own route (a point
// read) beside them, all behind the HTTP edge and the guard, each request
// with its own user's access token verified.
func benchTenantReadHTTP(cfg runConfig) (Result, error) {
	ctx := context.Background()
	db, keys, err := tenantUsersDB(ctx)
	if err != nil {
		return Result{}, err
	}
	defer db.Close()

	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		return Result{}, err
	}
	keySet := auth.NewKeySet(priv)
	tokens := auth.NewTokens(keySet, "bench", "bench", time.Now)
	guard := auth.NewGuard(tokens, auth.NewRevocations(func() time.Duration { return time.Hour }, time.Now), nil)
	metrics := observability.NewMetrics()
	srv := httpx.New(edgeOptions(metrics))
	srv.API.UseMiddleware(guard.Middleware(srv.API))
	query.New(query.Deps{Pool: db.Pool, Keys: keySet, ReadWait: time.Second}).Register(srv.API)
	type meOutput struct{ Body query.Me }
	huma.Register(srv.API, auth.Require(huma.Operation{OperationID: "plain-me", Method: http.MethodGet, Path: "/plain/v1/me"},
		auth.PermProfileRead), func(ctx context.Context, _ *struct{}) (*meOutput, error) {
		p, _ := auth.PrincipalFrom(ctx)
		out := &meOutput{}
		b := &out.Body
		err := db.Pool.QueryRow(ctx, meSQL, p.Tenant(), p.UserID).Scan(&b.ID, &b.Email, &b.Name, &b.Role, &b.CompanyID, &b.Status, &b.CreatedAt)
		return out, err
	})
	// The same read under row-level security (query.TenantQueryRow), as
	// the product's GET /v1/me read before it became a point read.
	huma.Register(srv.API, auth.Require(huma.Operation{OperationID: "rls-me", Method: http.MethodGet, Path: "/rls/v1/me"},
		auth.PermProfileRead), func(ctx context.Context, _ *struct{}) (*meOutput, error) {
		p, _ := auth.PrincipalFrom(ctx)
		out := &meOutput{}
		b := &out.Body
		err := query.TenantQueryRow(ctx, db.Pool, p.Tenant(), meSQL, p.Tenant(), p.UserID).
			Scan(&b.ID, &b.Email, &b.Name, &b.Role, &b.CompanyID, &b.Status, &b.CreatedAt)
		return out, err
	})
	base, stop, err := listen(srv.App)
	if err != nil {
		return Result{}, err
	}
	defer stop()

	// One token for every tenth user: every tenant has some.
	var bearers []string
	for i := 0; i < len(keys); i += 10 {
		k := keys[i]
		tok, err := tokens.Issue(auth.Principal{UserID: k.id, SessionID: uuid.NewString(), Role: auth.RoleUser, CompanyID: k.tenant}, time.Hour)
		if err != nil {
			return Result{}, err
		}
		bearers = append(bearers, "Bearer "+tok)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: cfg.workers, MaxConnsPerHost: cfg.workers}}
	get := func(path string) func(int) bool {
		return func(int) bool {
			req, _ := http.NewRequest("GET", base+path, nil)
			req.Header.Set("Authorization", bearers[rand.IntN(len(bearers))])
			res, err := client.Do(req)
			if err != nil {
				return false
			}
			_, _ = io.Copy(io.Discard, res.Body)
			_ = res.Body.Close()
			return res.StatusCode == 200
		}
	}
	plain, rls, product := get("/plain/v1/me"), get("/rls/v1/me"), get("/v1/me")
	if err := findsEveryone(plain, rls, product); err != nil {
		return Result{}, err
	}
	interleaved(cfg.workers, time.Second, 1, plain, rls, product) // warm up
	loads := interleaved(cfg.workers, cfg.duration/tenantReadRounds, tenantReadRounds, plain, rls, product)
	return Result{
		Name: "GET /v1/me under RLS", Ceiling: "the same route reading as the connecting user",
		Target: 0.95, Ratio: loads[1].Rate / loads[0].Rate, Load: loads[1], Base: loads[0],
		Note: fmt.Sprintf("edge, guard (EdDSA token of one of %d users), read, JSON; plain %s; RLS (query.TenantQueryRow) %s; "+
			"the product's route, a point read (query.PointQueryRow) %s",
			len(bearers), figures(loads[0], loads[0]), figures(loads[1], loads[0]), figures(loads[2], loads[0])),
	}, nil
}
