package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// Limits stack, counted in Redis: a call passes its key's limits, its
// chatbot's (held to the plan's) and its company's, and a 429 names the
// limit that was hit.
func TestLimitsStack(t *testing.T) {
	db := testkit.NewEmptyDatabase(t)
	settings := settingsFor(t, db.URL)
	settings["REDIS_URL"] = testkit.RedisURL(t)
	start(t, settings, "serve")
	c := client{t: t, base: "http://" + settings["HTTP_ADDR"]}
	waitReady(t, c.base, 200, 15*time.Second)
	admin := adminToken(t, c, settings)

	refusedBy := func(r reply, code, detail string) {
		t.Helper()
		if r.status != 429 || r.str("code") != code || r.header.Get("Retry-After") == "" || !strings.Contains(r.str("detail"), detail) {
			t.Fatalf("got %d %s Retry-After %q, want 429 %s naming %q", r.status, r.raw, r.header.Get("Retry-After"), code, detail)
		}
	}
	calls := func(key string, n int) {
		t.Helper()
		for i := range n {
			if r := botCall(c, key, "hi"); r.status != 200 {
				t.Fatalf("call %d: %d %s", i+1, r.status, r.raw)
			}
		}
	}

	t.Run("a key over its limit while another key of the chatbot passes", func(t *testing.T) {
		cid, tok, _ := owner(t, c, "keys@example.com")
		bots := "/v1/companies/" + cid + "/chatbots"
		bid := c.do("POST", bots, map[string]any{"name": "Bot"}, bearer(tok)...).str("id")
		limited := c.do("POST", bots+"/"+bid+"/api-keys", map[string]any{"name": "small", "limits": map[string]any{"requests_per_minute": 2}}, bearer(tok)...)
		if limited.status != 201 || limited.body["limits"].(map[string]any)["requests_per_minute"] != float64(2) {
			t.Fatalf("a key with limits: %d %s", limited.status, limited.raw)
		}
		other := c.do("POST", bots+"/"+bid+"/api-keys", map[string]any{"name": "free"}, bearer(tok)...)
		calls(limited.str("key"), 2)
		refusedBy(botCall(c, limited.str("key"), "hi"), "rate_limited", "the API key's rate limit of 2 requests a minute")
		calls(other.str("key"), 3)

		path := bots + "/" + bid + "/api-keys/" + other.str("id") + "/limits"
		set := c.do("PUT", path, map[string]any{"requests_per_minute": nil, "daily_requests": 4, "monthly_requests": nil}, bearer(tok)...)
		if set.status != 200 || set.body["limits"].(map[string]any)["daily_requests"] != float64(4) || set.str("key") != "" {
			t.Fatalf("PUT a key's limits: %d %s", set.status, set.raw)
		}
		calls(other.str("key"), 4) // counted from the limit on
		refusedBy(botCall(c, other.str("key"), "hi"), "quota_exceeded", "the API key's daily quota of 4 requests")

		list := c.do("GET", bots+"/"+bid+"/api-keys", nil, append(bearer(tok), "X-Min-Position", set.header.Get("X-Event-Position"))...)
		seen := map[string]any{}
		for _, k := range list.items() {
			seen[k["id"].(string)] = k["limits"]
		}
		if l, _ := seen[other.str("id")].(map[string]any); l["daily_requests"] != float64(4) || l["requests_per_minute"] != nil {
			t.Errorf("the key list shows %v for the key given 4 a day: %s", seen[other.str("id")], list.raw)
		}
		if l, _ := seen[limited.str("id")].(map[string]any); l["requests_per_minute"] != float64(2) {
			t.Errorf("the key list shows %v for the key issued with 2 a minute", seen[limited.str("id")])
		}

		for name, body := range map[string]map[string]any{
			"zero a minute":       {"requests_per_minute": 0, "daily_requests": nil, "monthly_requests": nil},
			"over a million":      {"requests_per_minute": 2_000_000, "daily_requests": nil, "monthly_requests": nil},
			"daily above monthly": {"requests_per_minute": nil, "daily_requests": 50, "monthly_requests": 10},
		} {
			if r := c.do("PUT", path, body, bearer(tok)...); r.status != 422 {
				t.Errorf("%s: %d %s", name, r.status, r.raw)
			}
		}
		if r := c.do("POST", bots+"/"+bid+"/api-keys", map[string]any{"name": "k", "limits": map[string]any{"daily_requests": 0}}, bearer(tok)...); r.status != 422 {
			t.Errorf("a key issued with a zero limit: %d %s", r.status, r.raw)
		}
		if r := c.do("PUT", bots+"/"+bid+"/api-keys/00000000-0000-7000-8000-000000000000/limits", map[string]any{"requests_per_minute": 1, "daily_requests": nil, "monthly_requests": nil}, bearer(tok)...); r.status != 404 {
			t.Errorf("limits of no key: %d %s", r.status, r.raw)
		}
	})

	t.Run("a company quota is used up across two chatbots", func(t *testing.T) {
		cid, tok, _ := owner(t, c, "company@example.com")
		plan := c.do("PATCH", "/v1/admin/companies/"+cid, map[string]any{"plan": map[string]any{"name": "small",
			"company_limits": map[string]any{"daily_requests": 5}}}, bearer(admin)...)
		if cl, _ := plan.body["plan"].(map[string]any)["company_limits"].(map[string]any); plan.status != 200 || cl["daily_requests"] != float64(5) {
			t.Fatalf("a plan with company limits: %d %s", plan.status, plan.raw)
		}
		bots := "/v1/companies/" + cid + "/chatbots"
		var keys []string
		for _, name := range []string{"One", "Two"} {
			bid := c.do("POST", bots, map[string]any{"name": name}, bearer(tok)...).str("id")
			keys = append(keys, c.do("POST", bots+"/"+bid+"/api-keys", map[string]any{"name": "k"}, bearer(tok)...).str("key"))
		}
		for i := range 5 {
			calls(keys[i%2], 1)
		}
		for _, key := range keys {
			refusedBy(botCall(c, key, "hi"), "quota_exceeded", "the company's daily quota of 5 requests")
		}
		read := c.do("GET", "/v1/admin/companies/"+cid, nil, append(bearer(admin), "X-Min-Position", plan.header.Get("X-Event-Position"))...)
		if cl, _ := read.body["plan"].(map[string]any)["company_limits"].(map[string]any); read.status != 200 || cl["daily_requests"] != float64(5) || cl["monthly_requests"] != nil {
			t.Errorf("the company as read: %d %s", read.status, read.raw)
		}
	})

	t.Run("a chatbot or key limit above the plan is capped to it", func(t *testing.T) {
		cid, tok, _ := owner(t, c, "capped@example.com")
		c.do("PATCH", "/v1/admin/companies/"+cid, map[string]any{"plan": map[string]any{"name": "tiny",
			"limits": map[string]any{"requests_per_minute": 3}}}, bearer(admin)...)
		bots := "/v1/companies/" + cid + "/chatbots"
		bid := c.do("POST", bots, map[string]any{"name": "Greedy"}, bearer(tok)...).str("id")
		set := c.do("PUT", bots+"/"+bid+"/limits", map[string]any{"requests_per_minute": 100, "daily_requests": nil, "monthly_requests": nil}, bearer(tok)...)
		if set.status != 200 {
			t.Fatalf("a chatbot limit above the plan: %d %s", set.status, set.raw)
		}
		read := c.do("GET", bots+"/"+bid, nil, append(bearer(tok), "X-Min-Position", set.header.Get("X-Event-Position"))...)
		if eff, _ := read.body["effective_limits"].(map[string]any); eff["requests_per_minute"] != float64(3) {
			t.Errorf("effective limits of a chatbot asking 100 a minute under a plan of 3: %s", read.raw)
		}
		key := c.do("POST", bots+"/"+bid+"/api-keys", map[string]any{"name": "k", "limits": map[string]any{"requests_per_minute": 50}}, bearer(tok)...).str("key")
		calls(key, 3)
		refusedBy(botCall(c, key, "hi"), "rate_limited", "the chatbot's rate limit of 3 requests a minute")
	})
}

// Every place a limit is set (a key, a chatbot, a plan's chatbot and
// company limits, the platform's defaults) takes the same bounds and
// refuses what is outside them the same way: 422 naming the field.
func TestEveryLimitHasTheSameBounds(t *testing.T) {
	c, settings := startIdentity(t)
	admin := adminToken(t, c, settings)
	cid, tok, _ := owner(t, c, "bounds@example.com")
	bots := "/v1/companies/" + cid + "/chatbots"
	bid := c.do("POST", bots, map[string]any{"name": "Bot"}, bearer(tok)...).str("id")
	kid := c.do("POST", bots+"/"+bid+"/api-keys", map[string]any{"name": "k"}, bearer(tok)...).str("id")

	full := func(l map[string]any) map[string]any { // PUT bodies name all three
		out := map[string]any{"requests_per_minute": nil, "daily_requests": nil, "monthly_requests": nil}
		for k, v := range l {
			out[k] = v
		}
		return out
	}
	places := []struct {
		name, method, path, token, prefix string
		body                              func(map[string]any) map[string]any
		ok                                int
	}{
		{"chatbot", "PUT", bots + "/" + bid + "/limits", tok, "", full, 200},
		{"key", "PUT", bots + "/" + bid + "/api-keys/" + kid + "/limits", tok, "", full, 200},
		{"new key", "POST", bots + "/" + bid + "/api-keys", tok, "limits.", func(l map[string]any) map[string]any {
			return map[string]any{"name": "k", "limits": l}
		}, 201},
		{"plan", "PATCH", "/v1/admin/companies/" + cid, admin, "plan.limits.", func(l map[string]any) map[string]any {
			return map[string]any{"plan": map[string]any{"name": "p", "limits": l}}
		}, 200},
		{"company-wide", "PATCH", "/v1/admin/companies/" + cid, admin, "plan.company_limits.", func(l map[string]any) map[string]any {
			return map[string]any{"plan": map[string]any{"name": "p", "company_limits": l}}
		}, 200},
		{"platform default", "PATCH", "/v1/admin/config", admin, "default_limits.", func(l map[string]any) map[string]any {
			return map[string]any{"default_limits": l}
		}, 200},
	}
	bad := []struct {
		limits map[string]any
		field  string
	}{
		{map[string]any{"requests_per_minute": 0}, "requests_per_minute"},
		{map[string]any{"requests_per_minute": 1_000_001}, "requests_per_minute"},
		{map[string]any{"daily_requests": 1_000_000_001}, "daily_requests"},
		{map[string]any{"monthly_requests": 10_000_000_000}, "monthly_requests"},
		{map[string]any{"daily_requests": 50, "monthly_requests": 10}, "daily_requests"},
	}
	highest := map[string]any{"requests_per_minute": 1_000_000, "daily_requests": 1_000_000_000, "monthly_requests": 1_000_000_000}
	for _, p := range places {
		t.Run(p.name, func(t *testing.T) {
			for _, b := range bad {
				r := c.do(p.method, p.path, p.body(b.limits), bearer(p.token)...)
				if r.status != 422 || r.str("code") != "validation_failed" || !namesField(r, p.prefix+b.field) {
					t.Errorf("%v: %d %s, want 422 validation_failed naming %s%s", b.limits, r.status, r.raw, p.prefix, b.field)
				}
			}
			if r := c.do(p.method, p.path, p.body(highest), bearer(p.token)...); r.status != p.ok {
				t.Errorf("the highest limits: %d %s, want %d", r.status, r.raw, p.ok)
			}
		})
	}
}

// namesField says whether a 422 names exactly this field, and no other.
func namesField(r reply, field string) bool {
	errs, _ := r.body["errors"].([]any)
	if len(errs) != 1 {
		return false
	}
	e, _ := errs[0].(map[string]any)
	return e["field"] == field
}
