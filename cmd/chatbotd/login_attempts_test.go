package main

import (
	"testing"
	"time"

	"github.com/chatbotsaas/chatbot/shared/testkit"
)

func TestLoginAttemptsComeByPageAndByAddress(t *testing.T) {
	db := testkit.NewEmptyDatabase(t)
	settings := settingsFor(t, db.URL)
	settings["TRUSTED_PROXIES"] = "127.0.0.1/32" // the test is the proxy: X-Forwarded-For names the client
	start(t, settings, "serve")
	c := client{t: t, base: "http://" + settings["HTTP_ADDR"]}
	waitReady(t, c.base, 200, 15*time.Second)
	admin := adminToken(t, c, settings)
	uid := c.signup("ada@example.com").str("user_id")
	login := func(ip string) {
		body := map[string]string{"email": "ada@example.com", "password": "correct horse battery"}
		if r := c.do("POST", "/v1/auth/login", body, "X-Forwarded-For", ip); r.status != 200 {
			t.Fatalf("login from %s: %d %s", ip, r.status, r.raw)
		}
	}
	for _, ip := range []string{"203.0.113.7", "198.51.100.2", "203.0.113.7", "198.51.100.2", "203.0.113.7"} {
		login(ip)
	}
	path := "/v1/admin/users/" + uid + "/login-attempts"
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := c.do("GET", path, nil, bearer(admin)...)
		if items, _ := r.body["items"].([]any); len(items) == 5 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}

	var seen []string
	cursor := ""
	for range 4 {
		q := path + "?limit=2"
		if cursor != "" {
			q += "&cursor=" + cursor
		}
		r := c.do("GET", q, nil, bearer(admin)...)
		items, _ := r.body["items"].([]any)
		if r.status != 200 || len(items) == 0 || len(items) > 2 {
			t.Fatalf("page %d: %d %s", len(seen)/2+1, r.status, r.raw)
		}
		for _, it := range items {
			seen = append(seen, it.(map[string]any)["ip"].(string))
		}
		next, _ := r.body["next_cursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	want := []string{"203.0.113.7", "198.51.100.2", "203.0.113.7", "198.51.100.2", "203.0.113.7"} // newest first
	if len(seen) != 5 || seen[0] != want[0] || seen[1] != want[1] || seen[4] != want[4] {
		t.Errorf("paged through %v, want %v", seen, want)
	}

	r := c.do("GET", path+"?ip=203.0.113.7", nil, bearer(admin)...)
	items, _ := r.body["items"].([]any)
	if r.status != 200 || len(items) != 3 || r.body["next_cursor"] != nil {
		t.Errorf("from 203.0.113.7: %d %s", r.status, r.raw)
	}
	for _, it := range items {
		if ip := it.(map[string]any)["ip"]; ip != "203.0.113.7" {
			t.Errorf("an attempt from %v under ip=203.0.113.7", ip)
		}
	}
	if r := c.do("GET", path+"?ip=not-an-address", nil, bearer(admin)...); r.status != 400 || r.str("code") != "invalid_request" {
		t.Errorf("a bad ip: %d %s", r.status, r.raw)
	}
	if r := c.do("GET", path+"?cursor=abc", nil, bearer(admin)...); r.status != 400 {
		t.Errorf("a bad cursor: %d %s", r.status, r.raw)
	}
}
