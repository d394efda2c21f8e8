package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

const (
	rywRate     = 500  // creates a second, open loop
	rywInFlight = 2000 // pairs in flight at most; beyond, a tick is counted as skipped
	// PERFORMANCE.md's command → visible in the query API at rywRate.
	rywP50Ms, rywP99Ms = 5, 50
)

// benchReadYourWrites creates chatbots at a fixed rate, each followed by a
// GET of the new chatbot sent with the create's X-Event-Position as
// X-Min-Position, and reports the GET's latency, its 503s, and whether
// the creates slowed down. The rate is held open loop: a slow answer does
// not slow the next create, as it would with real clients.
func benchReadYourWrites(cfg runConfig) (Result, error) {
	p, err := startProduct(context.Background())
	if err != nil {
		return Result{}, err
	}
	defer p.Close()
	token, company, err := p.companyManager("ryw@example.com")
	if err != nil {
		return Result{}, err
	}
	path := "/v1/companies/" + company + "/chatbots"
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: rywInFlight, MaxConnsPerHost: rywInFlight}}

	var mu sync.Mutex
	var creates, gets []time.Duration
	lagging, failed := 0, 0
	pair := func() {
		t0 := time.Now()
		id, pos, err := rywCreate(client, p.base+path, token)
		t1 := time.Now()
		status := 0
		if err == nil {
			status, err = rywGet(client, p.base+path+"/"+id, token, pos)
		}
		t2 := time.Now()
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil || (status != 200 && status != 503):
			failed++
		case status == 503:
			creates, lagging = append(creates, t1.Sub(t0)), lagging+1
		default:
			creates, gets = append(creates, t1.Sub(t0)), append(gets, t2.Sub(t1))
		}
	}
	start := time.Now()
	tr := p.track()
	skipped := openLoop(rywRate, cfg.rywFor, rywInFlight, pair)
	elapsed := time.Since(start)
	_, peak := tr.finish(0)
	slices.Sort(creates)
	slices.Sort(gets)
	load := Load{Requests: len(gets), Errors: lagging + failed, Rate: float64(len(gets)) / elapsed.Seconds(),
		P50ms: pct(gets, 0.5), P99ms: pct(gets, 0.99), P999ms: pct(gets, 0.999)}
	base := Load{Requests: len(creates), Errors: failed, Rate: float64(len(creates)) / elapsed.Seconds(),
		P50ms: pct(creates, 0.5), P99ms: pct(creates, 0.99), P999ms: pct(creates, 0.999)}
	answered := len(gets) + lagging
	return Result{
		Name: fmt.Sprintf("read-your-writes at %d creates/s (GET with X-Min-Position)", rywRate), Ceiling: "every GET answered 200",
		Target: 1, Ratio: float64(len(gets)) / float64(max(answered, 1)), Load: load, Base: base,
		P50MaxMs: rywP50Ms, P99MaxMs: rywP99Ms, RSSPeakMB: peak,
		Extra: []Check{atMost("creates' p99 (a simple command's target)", base.P99ms, sustainedTargetMs, " ms"),
			atMost("ticks skipped", float64(skipped), 0, "")},
		Note: fmt.Sprintf("open loop, %s; GET p50 %.2f ms p99 %.2f ms (targets ≤ 5 / ≤ 50 ms); %d answered 503 projection_lagging, %d failed, %d ticks skipped (%d pairs in flight); creates p50 %.2f ms p99 %.2f ms at %.0f/s",
			cfg.rywFor, load.P50ms, load.P99ms, lagging, failed, skipped, rywInFlight, base.P50ms, base.P99ms, base.Rate),
	}, nil
}

// openLoop starts op rate times a second for d, at most inFlight at once
// (a start beyond is skipped and counted), and waits for the last to end.
func openLoop(rate int, d time.Duration, inFlight int, op func()) (skipped int) {
	slots := make(chan struct{}, inFlight)
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Second / time.Duration(rate))
	defer tick.Stop()
	start := time.Now()
	started := 0
	for time.Since(start) < d {
		<-tick.C
		// A ticker drops ticks when it falls behind: start what is due by
		// now, so the rate holds on a busy machine.
		for due := int(time.Since(start).Seconds() * float64(rate)); started < due; started++ {
			select {
			case slots <- struct{}{}:
			default:
				skipped++
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-slots }()
				op()
			}()
		}
	}
	wg.Wait()
	return skipped
}

// companyManager signs a company up and returns its manager's access
// token and the company's id.
func (p *product) companyManager(email string) (token, company string, err error) {
	if err := p.signup(email); err != nil {
		return "", "", err
	}
	var login struct {
		AccessToken string `json:"access_token"`
	}
	if _, err := p.call("POST", "/v1/auth/login", "", map[string]string{"email": email, "password": "bench password 123"}, &login); err != nil {
		return "", "", err
	}
	var me struct {
		CompanyID string `json:"company_id"`
	}
	if status, err := p.call("GET", "/v1/me", login.AccessToken, nil, &me); err != nil || status != 200 {
		return "", "", fmt.Errorf("GET /v1/me: %d %v", status, err)
	}
	return login.AccessToken, me.CompanyID, nil
}

// rywCreate creates a chatbot and returns its id and the create's position.
func rywCreate(client *http.Client, url, token string) (string, string, error) {
	req, _ := http.NewRequest("POST", url, bytes.NewReader([]byte(`{"name":"Bench bot"}`)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := client.Do(req)
	if err != nil {
		return "", "", err
	}
	defer res.Body.Close()
	var bot struct {
		ID string `json:"id"`
	}
	if err := json.NewDecoder(res.Body).Decode(&bot); err != nil || res.StatusCode != 201 {
		return "", "", fmt.Errorf("create: %d %v", res.StatusCode, err)
	}
	return bot.ID, res.Header.Get("X-Event-Position"), nil
}

func rywGet(client *http.Client, url, token, pos string) (int, error) {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("X-Min-Position", pos)
	res, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	return res.StatusCode, nil
}
