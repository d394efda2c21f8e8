package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
)

// call sends a JSON request and decodes a JSON answer.
func (p *product) call(method, path, token string, body any, out any) (int, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, p.base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if out != nil {
		_ = json.NewDecoder(res.Body).Decode(out)
	}
	return res.StatusCode, nil
}

// benchBotAPI compares bot API calls (key check, rate limit and quotas in
// Redis, reply, usage recorded) with a bare Fiber hello-world JSON handler.
func benchBotAPI(cfg runConfig) (Result, error) {
	bareURL, stopBare, err := helloWorld()
	if err != nil {
		return Result{}, err
	}
	defer stopBare()

	p, err := startProduct(context.Background(), "REDIS_URL="+redisURL())
	if err != nil {
		return Result{}, err
	}
	defer p.Close()
	bench, err := newBenchChatbot(p)
	if err != nil {
		return Result{}, err
	}
	body := []byte(`{"message":"what is the price?"}`)
	message := func() *http.Request {
		r, _ := http.NewRequest("POST", p.base+"/v1/bot/messages", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+bench.key)
		return r
	}
	get := func() *http.Request { r, _ := http.NewRequest("GET", bareURL+"/", nil); return r }
	ok := func(r *http.Response) bool { return r.StatusCode == 200 }
	closedLoop(cfg.workers, 1e9, message, ok) // warm up
	// Ceiling and calls take turns in short slices, so a slower spell of
	// the machine weighs on both alike.
	tr := p.track()
	loads := interleaved(cfg.workers, cfg.duration/botRounds, botRounds, httpOp(cfg.workers, get, ok), httpOp(cfg.workers, message, ok))
	base0, load := loads[0], loads[1]
	cpu, peak := tr.finish(load.Requests)
	return Result{
		Name: "POST /v1/bot/messages", Ceiling: "Fiber hello-world JSON",
		Target: 0.25, Ratio: load.Rate / base0.Rate, Load: load, Base: base0,
		P99MaxMs: botP99Ms, CPUmsPerOp: cpu, RSSPeakMB: peak,
		Note: "ceiling and calls interleaved in " + fmt.Sprint(botRounds) + " rounds; key lookup in the in-process directory (memory only: exactness is kept by the revoking writes, see bot_revoke), rate limit and quotas in one Redis script, keyword reply, usage counted in memory and recorded once a second per key (no fsync per call); target p99 ≤ 25 ms",
	}, nil
}

// botRounds is how many turns the ceiling and the bot calls take.
const botRounds = 5

// botP99Ms is PERFORMANCE.md's p99 of a bot call.
const botP99Ms = 25

// redisURL is the bench's Redis: REDIS_URL, else the local default.
func redisURL() string {
	if u := os.Getenv("REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// benchChatbot is a company's chatbot with unbounded limits and one key.
type benchChatbot struct {
	token string // the owner's access token
	base  string // the company's chatbots path
	id    string
	key   string
}

func newBenchChatbot(p *product) (benchChatbot, error) {
	if err := p.signup("bot@example.com"); err != nil {
		return benchChatbot{}, err
	}
	var login struct {
		AccessToken string `json:"access_token"`
	}
	if _, err := p.call("POST", "/v1/auth/login", "", map[string]string{"email": "bot@example.com", "password": "bench password 123"}, &login); err != nil {
		return benchChatbot{}, err
	}
	var me struct {
		CompanyID string `json:"company_id"`
	}
	_, _ = p.call("GET", "/v1/me", login.AccessToken, nil, &me)
	base := "/v1/companies/" + me.CompanyID + "/chatbots"
	var bot struct {
		ID string `json:"id"`
	}
	settings := map[string]any{"fallback_reply": "Sorry?", "replies": []map[string]any{{"keywords": []string{"price"}, "reply": "10 EUR"}}}
	if status, err := p.call("POST", base, login.AccessToken, map[string]any{"name": "Bench", "settings": settings}, &bot); err != nil || status != 201 {
		return benchChatbot{}, fmt.Errorf("create chatbot: %d %v", status, err)
	}
	if err := p.unlimitedPlan(me.CompanyID); err != nil {
		return benchChatbot{}, err
	}
	if status, err := p.call("PUT", base+"/"+bot.ID+"/limits", login.AccessToken,
		map[string]any{"requests_per_minute": 1000000, "daily_requests": 1000000000, "monthly_requests": 1000000000}, nil); err != nil || status != 200 {
		return benchChatbot{}, fmt.Errorf("limits: %d %v", status, err)
	}
	var key struct {
		Key string `json:"key"`
	}
	if status, err := p.call("POST", base+"/"+bot.ID+"/api-keys", login.AccessToken, map[string]string{"name": "bench"}, &key); err != nil || status != 201 {
		return benchChatbot{}, fmt.Errorf("issue key: %d %v", status, err)
	}
	return benchChatbot{token: login.AccessToken, base: base, id: bot.ID, key: key.Key}, nil
}
