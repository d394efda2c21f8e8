package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// refreshWorkers is the closed loop of the refresh scenario: the 8
// clients of the peer's figure in PERFORMANCE.md.
const refreshWorkers = 8

// peerRefreshPerS is the peer's rotating refresh at 8 clients on these
// machines (PERFORMANCE.md); the product means to reach 3× it.
const peerRefreshPerS = 299

// benchRefresh rotates refresh tokens, each worker its own session
// family, and compares it with the raw publish an append costs on the same
// server: a rotation verifies the token and appends one event.
func benchRefresh(cfg runConfig) (Result, error) {
	ctx := context.Background()
	p, err := startProduct(ctx)
	if err != nil {
		return Result{}, err
	}
	defer p.Close()
	if err := p.signup("refresh@example.com"); err != nil {
		return Result{}, err
	}
	tokens := make([]string, refreshWorkers)
	for i := range tokens {
		var pair struct {
			RefreshToken string `json:"refresh_token"`
		}
		if status, err := p.call("POST", "/v1/auth/login", "", map[string]string{"email": "refresh@example.com", "password": benchPassword}, &pair); err != nil || status != 200 {
			return Result{}, fmt.Errorf("login: %d %v", status, err)
		}
		tokens[i] = pair.RefreshToken
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: refreshWorkers, MaxConnsPerHost: refreshWorkers}}
	rotate := func(w int) bool {
		body, _ := json.Marshal(map[string]string{"refresh_token": tokens[w]})
		res, err := client.Post(p.base+"/v1/auth/refresh", "application/json", bytes.NewReader(body))
		if err != nil {
			return false
		}
		defer res.Body.Close()
		var pair struct {
			RefreshToken string `json:"refresh_token"`
		}
		if res.StatusCode != 200 || json.NewDecoder(res.Body).Decode(&pair) != nil || pair.RefreshToken == "" {
			_, _ = io.Copy(io.Discard, res.Body)
			return false
		}
		tokens[w] = pair.RefreshToken
		return true
	}
	raw, err := newRawPublisher(ctx, p, refreshWorkers)
	if err != nil {
		return Result{}, err
	}
	defer raw.Close()
	closedLoopFn(refreshWorkers, cfg.duration/5, rotate) // warm up
	base := closedLoopFn(refreshWorkers, cfg.duration, raw.publish)
	tr := p.track()
	load := closedLoopFn(refreshWorkers, cfg.duration, rotate)
	r := Result{
		Name: "POST /v1/auth/refresh (rotating)", Ceiling: "JetStream sync publish with expected subject sequence, same server",
		Target: 0.4, Ratio: load.Rate / base.Rate, Load: load, Base: base,
		Extra: []Check{atLeast("rate over the peer's 299/s at 8 clients (PERFORMANCE.md)", load.Rate/peerRefreshPerS, 3, "×")},
		Note: fmt.Sprintf("%d workers, each rotating its own session's token (the spent one is never reused); the peer rotates %d/s at 8 clients on these machines",
			refreshWorkers, peerRefreshPerS),
	}
	r.CPUmsPerOp, r.RSSPeakMB = tr.finish(load.Requests)
	return r, nil
}
