package main

import (
	"sync"
	"testing"
)

func TestIdempotencyKeyDoesACreateOnce(t *testing.T) {
	c, _ := startIdentity(t)
	body := map[string]string{"company_name": "Acme", "name": "Ada", "email": "ada@example.com", "password": "correct horse battery"}
	key := []string{"Idempotency-Key", "signup-ada-1"}
	first := c.do("POST", "/v1/auth/signup", body, key...)
	again := c.do("POST", "/v1/auth/signup", body, key...)
	if first.status != 201 || again.status != 201 || again.str("user_id") != first.str("user_id") || again.str("company_id") != first.str("company_id") {
		t.Fatalf("a retried signup: %d %s / %d %s", first.status, first.raw, again.status, again.raw)
	}
	if again.header.Get("Idempotent-Replayed") != "true" || again.header.Get("X-Event-Position") != first.header.Get("X-Event-Position") {
		t.Errorf("the replay's headers: %v", again.header)
	}
	other := map[string]string{"company_name": "Acme", "name": "Ada", "email": "ada2@example.com", "password": "correct horse battery"}
	if r := c.do("POST", "/v1/auth/signup", other, key...); r.status != 422 {
		t.Errorf("the same key with another body: %d %s", r.status, r.raw)
	}
	if r := c.do("POST", "/v1/auth/signup", body, "Idempotency-Key", "a key with spaces"); r.status != 400 {
		t.Errorf("a malformed key: %d", r.status)
	}
	// A failure is not kept: the same key may be tried again.
	if r := c.do("POST", "/v1/auth/signup", map[string]string{"company_name": "B", "name": "B", "email": "b@example.com", "password": "short"}, "Idempotency-Key", "k2"); r.status != 422 {
		t.Fatalf("a weak password: %d", r.status)
	}
	if r := c.do("POST", "/v1/auth/signup", map[string]string{"company_name": "B", "name": "B", "email": "b@example.com", "password": "short"}, "Idempotency-Key", "k2"); r.status != 422 || r.header.Get("Idempotent-Replayed") != "" {
		t.Errorf("a failed request is run again: %d %v", r.status, r.header)
	}

	// Concurrent retries of one create make one chatbot; the key is the
	// caller's own: another caller's same key is another request.
	tok := c.login("ada@example.com", "correct horse battery").str("access_token")
	base := "/v1/companies/" + first.str("company_id") + "/chatbots"
	var wg sync.WaitGroup
	ids := make([]string, 8)
	statuses := make([]int, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := c.do("POST", base, map[string]string{"name": "Helpdesk"}, append(bearer(tok), "Idempotency-Key", "bot-1")...)
			ids[i], statuses[i] = r.str("id"), r.status
		}()
	}
	wg.Wait()
	created := map[string]bool{}
	for i := range 8 {
		switch statuses[i] {
		case 201:
			created[ids[i]] = true
		case 409: // still running when it arrived: retry later
		default:
			t.Errorf("a concurrent retry: %d", statuses[i])
		}
	}
	r := c.do("POST", base, map[string]string{"name": "Helpdesk"}, append(bearer(tok), "Idempotency-Key", "bot-1")...)
	created[r.str("id")] = true
	if len(created) != 1 || r.status != 201 {
		t.Fatalf("one create, answered alike: %v (%d)", created, r.status)
	}
	list := c.do("GET", base, nil, append(bearer(tok), "X-Min-Position", r.header.Get("X-Event-Position"))...)
	if n := len(list.items()); n != 1 {
		t.Errorf("%d chatbots made, want 1", n)
	}

	// Two API keys sending the same key and body are two callers.
	var keys []string
	for range 2 {
		keys = append(keys, c.do("POST", base+"/"+r.str("id")+"/api-keys", map[string]string{"name": "k"}, bearer(tok)...).str("key"))
	}
	a := c.do("POST", "/v1/bot/messages", map[string]string{"message": "hi"}, "Authorization", "Bearer "+keys[0], "Idempotency-Key", "m-1")
	b := c.do("POST", "/v1/bot/messages", map[string]string{"message": "hi"}, "Authorization", "Bearer "+keys[1], "Idempotency-Key", "m-1")
	if a.status != 200 || b.status != 200 || b.header.Get("Idempotent-Replayed") != "" || a.str("conversation_id") == b.str("conversation_id") {
		t.Errorf("another key's answer was replayed: %s / %s", a.raw, b.raw)
	}
}
