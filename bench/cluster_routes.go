package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os/exec"
	"strings"
	"time"
)

// clusterSession is what the cluster runs' requests need: a company with a
// chatbot and an API key, and one login per worker (a refresh rotates its
// worker's token, so no two workers share one).
type clusterSession struct {
	cid, bid, key, email string
	access, refresh      []string
	client               *http.Client
}

const clusterPassword = "bench password 123"

// send sends a JSON request from a random client address (through the
// trusted proxy header, as the gateway would) and decodes the answer.
func (s *clusterSession) send(method, url, token string, body any, out any) (int, http.Header, error) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", rand.IntN(256), rand.IntN(256), rand.IntN(256)))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := s.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	if out != nil {
		_ = json.NewDecoder(res.Body).Decode(out)
	} else {
		_, _ = io.Copy(io.Discard, res.Body)
	}
	return res.StatusCode, res.Header, nil
}

type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
}

// newClusterSession signs a company up through the first command process,
// logs in once per worker, creates a chatbot with limits no run reaches
// and issues it a key, then waits until a query process shows the chatbot
// and a command process takes the key.
func (r *clusterRig) newClusterSession(workers int) (*clusterSession, error) {
	s := &clusterSession{email: "cluster@example.com", client: &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}}}
	cmd := r.bases["command"][0]
	var su struct {
		CompanyID string `json:"company_id"`
	}
	if st, _, err := s.send("POST", cmd+"/v1/auth/signup", "", map[string]string{"company_name": "Bench", "name": "Bench", "email": s.email, "password": clusterPassword}, &su); err != nil || st != 201 {
		return nil, fmt.Errorf("signup: %d %v", st, err)
	}
	s.cid = su.CompanyID
	if err := r.unlimitedPlan(s); err != nil {
		return nil, err
	}
	for range workers {
		var t tokens
		if st, _, err := s.send("POST", cmd+"/v1/auth/login", "", map[string]string{"email": s.email, "password": clusterPassword}, &t); err != nil || st != 200 {
			return nil, fmt.Errorf("login: %d %v", st, err)
		}
		s.access, s.refresh = append(s.access, t.AccessToken), append(s.refresh, t.RefreshToken)
	}
	base := cmd + "/v1/companies/" + s.cid + "/chatbots"
	var bot struct {
		ID string `json:"id"`
	}
	settings := map[string]any{"fallback_reply": "Sorry?", "replies": []map[string]any{{"keywords": []string{"price"}, "reply": "10 EUR"}}}
	st, h, err := s.send("POST", base, s.access[0], map[string]any{"name": "Bench", "settings": settings}, &bot)
	if err != nil || st != 201 {
		return nil, fmt.Errorf("create chatbot: %d %v", st, err)
	}
	s.bid = bot.ID
	limits := map[string]any{"requests_per_minute": 1000000, "daily_requests": 1000000000, "monthly_requests": 1000000000}
	// The chatbot may not have reached the directory this process reads yet.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		st, _, err := s.send("PUT", base+"/"+s.bid+"/limits", s.access[0], limits, nil)
		if err == nil && st == 200 {
			break
		}
		if (err == nil && st != 404) || time.Now().After(deadline) {
			return nil, fmt.Errorf("limits: %d %v", st, err)
		}
	}
	var key struct {
		Key string `json:"key"`
	}
	if st, _, err := s.send("POST", base+"/"+s.bid+"/api-keys", s.access[0], map[string]string{"name": "bench"}, &key); err != nil || st != 201 {
		return nil, fmt.Errorf("issue key: %d %v", st, err)
	}
	s.key = key.Key
	return s, r.waitSeen(s, h.Get("X-Event-Position"))
}

// waitSeen waits until every query process shows the chatbot and every
// command process takes its key.
func (r *clusterRig) waitSeen(s *clusterSession, position string) error {
	deadline := time.Now().Add(30 * time.Second)
	for _, kind := range []string{"query", "command"} {
		for i := range r.bases[kind] {
			for !clusterRoutes[kind+"-probe"].do(s, r.bases[kind][i], 0) {
				if time.Now().After(deadline) {
					return fmt.Errorf("chatbotd %s %d does not serve the new chatbot (position %s)", kind, i, position)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
	}
	return nil
}

// clusterRoute is one kind of request of the mix and the processes (a
// kind) the gateway sends it to.
type clusterRoute struct {
	name string
	kind string
	do   func(s *clusterSession, base string, worker int) bool
}

var clusterRoutes = map[string]clusterRoute{
	"login": {"POST /v1/auth/login", "command", func(s *clusterSession, base string, _ int) bool {
		st, _, err := s.send("POST", base+"/v1/auth/login", "", map[string]string{"email": s.email, "password": clusterPassword}, nil)
		return err == nil && st == 200
	}},
	"refresh": {"POST /v1/auth/refresh", "command", func(s *clusterSession, base string, w int) bool {
		var t tokens
		st, _, err := s.send("POST", base+"/v1/auth/refresh", "", map[string]string{"refresh_token": s.refresh[w]}, &t)
		if err != nil || st != 200 {
			// The token may be spent (rotated by an answer that never
			// arrived): a fresh login starts the worker a new chain.
			if st, _, err := s.send("POST", base+"/v1/auth/login", "", map[string]string{"email": s.email, "password": clusterPassword}, &t); err == nil && st == 200 {
				s.access[w], s.refresh[w] = t.AccessToken, t.RefreshToken
			}
			return false
		}
		s.access[w], s.refresh[w] = t.AccessToken, t.RefreshToken
		return true
	}},
	"command": {"POST /v1/companies/{cid}/chatbots", "command", func(s *clusterSession, base string, w int) bool {
		st, _, err := s.send("POST", base+"/v1/companies/"+s.cid+"/chatbots", s.access[w], map[string]string{"name": "Bench " + strings.Repeat("x", 8)}, nil)
		return err == nil && st == 201
	}},
	"cached_get":    {"GET /v1/companies/{cid}/chatbots/{bid}", "query", getChatbot},
	"bot":           {"POST /v1/bot/messages", "command", botMessage},
	"query-probe":   {"", "query", getChatbot},
	"command-probe": {"", "command", botMessage},
	"same_aggregate": {"PATCH /v1/companies/{cid}/chatbots/{bid}", "command", func(s *clusterSession, base string, w int) bool {
		st, _, err := s.send("PATCH", base+"/v1/companies/"+s.cid+"/chatbots/"+s.bid, s.access[w], map[string]string{"description": fmt.Sprintf("edit %d", rand.IntN(1000))}, nil)
		return err == nil && st == 200
	}},
}

func getChatbot(s *clusterSession, base string, w int) bool {
	st, _, err := s.send("GET", base+"/v1/companies/"+s.cid+"/chatbots/"+s.bid, s.access[w], nil, nil)
	return err == nil && st == 200
}

func botMessage(s *clusterSession, base string, _ int) bool {
	st, _, err := s.send("POST", base+"/v1/bot/messages", s.key, map[string]string{"message": "what is the price?"}, nil)
	return err == nil && st == 200
}

// unlimitedPlan gives the session's company a plan no run reaches, as an
// administrator the CLI creates: the company's limits stack on the
// chatbot's.
func (r *clusterRig) unlimitedPlan(s *clusterSession) error {
	create := exec.Command(productBin, "admin", "create", "--email", "cluster-admin@example.com", "--password-stdin")
	create.Env, create.Stdin = r.env, strings.NewReader(clusterPassword+"\n")
	if out, err := create.CombinedOutput(); err != nil {
		return fmt.Errorf("admin create: %v: %s", err, out)
	}
	cmd := r.bases["command"][0]
	var t tokens
	if st, _, err := s.send("POST", cmd+"/v1/auth/login", "", map[string]string{"email": "cluster-admin@example.com", "password": clusterPassword}, &t); err != nil || st != 200 {
		return fmt.Errorf("admin login: %d %v", st, err)
	}
	plan := map[string]any{"plan": map[string]any{"name": "bench",
		"limits": map[string]any{"requests_per_minute": 1000000, "daily_requests": 1000000000, "monthly_requests": 1000000000}}}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		st, _, err := s.send("PATCH", cmd+"/v1/admin/companies/"+s.cid, t.AccessToken, plan, nil)
		if err == nil && st == 200 {
			return nil
		}
		if (err == nil && st != 404) || time.Now().After(deadline) {
			return fmt.Errorf("plan: %d %v", st, err)
		}
	}
}
