package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// mixed is a company's traffic on one chatbotd: chatbots created, the
// manager's reads, bot calls through an API key, logins now and then.
// The memory scenario and the soak run it.
type mixed struct {
	p       *product
	client  *http.Client
	bearer  string
	company string
	key     string
	create  []byte
}

// newMixed signs a company up, creates its chatbot with limits no bench
// reaches, and issues the key the bot calls use.
func newMixed(p *product, email string) (*mixed, error) {
	token, company, err := p.companyManager(email)
	if err != nil {
		return nil, err
	}
	m := &mixed{p: p, bearer: "Bearer " + token, company: company,
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}},
		create: []byte(`{"name":"Soak","description":"` + strings.Repeat("d", 100) + `","settings":{"fallback_reply":"Sorry?","replies":[{"keywords":["price"],"reply":"10 EUR"}]}}`)}
	// A chatbot's limits never go above its plan's: the plan is raised
	// first, as an administrator would.
	if err := p.unlimitedPlan(company); err != nil {
		return nil, err
	}
	base := "/v1/companies/" + company + "/chatbots"
	var bot struct {
		ID string `json:"id"`
	}
	if status, err := p.call("POST", base, token, map[string]any{"name": "Bench bot"}, &bot); err != nil || status != 201 {
		return nil, fmt.Errorf("create chatbot: %d %v", status, err)
	}
	if status, err := p.call("PUT", base+"/"+bot.ID+"/limits", token,
		map[string]any{"requests_per_minute": 1000000, "daily_requests": 1000000000, "monthly_requests": 1000000000}, nil); err != nil || status != 200 {
		return nil, fmt.Errorf("limits: %d %v", status, err)
	}
	var key struct {
		Key string `json:"key"`
	}
	if status, err := p.call("POST", base+"/"+bot.ID+"/api-keys", token, map[string]string{"name": "bench"}, &key); err != nil || status != 201 {
		return nil, fmt.Errorf("issue key: %d %v", status, err)
	}
	m.key = "Bearer " + key.Key
	return m, nil
}

// op is worker w's next request: of every 16 workers, 6 read, 6 call the
// bot, 3 create chatbots and 1 logs in.
func (m *mixed) op(w int) bool {
	var req *http.Request
	want := 200
	switch w % 16 {
	case 0:
		res, err := m.p.post("/v1/auth/login", map[string]string{"email": "soak-login@example.com", "password": benchPassword})
		return err == nil && res.StatusCode == 200
	case 1, 2, 3:
		req, _ = http.NewRequest("POST", m.p.base+"/v1/companies/"+m.company+"/chatbots", bytes.NewReader(m.create))
		req.Header.Set("Authorization", m.bearer)
		want = 201
	case 4, 5, 6, 7, 8, 9:
		req, _ = http.NewRequest("GET", m.p.base+"/v1/me", nil)
		req.Header.Set("Authorization", m.bearer)
	default:
		req, _ = http.NewRequest("POST", m.p.base+"/v1/bot/messages", strings.NewReader(`{"message":"what is the price?"}`))
		req.Header.Set("Authorization", m.key)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := m.client.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	return res.StatusCode == want
}
