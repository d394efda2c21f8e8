package main

import (
	"encoding/json"
	"fmt"
	"slices"

	"strings"
	"testing"
	"time"

	"github.com/chatbotsaas/chatbot/events"

	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// owner signs a company up and logs its first manager in.
func owner(t *testing.T, c client, email string) (companyID, token string, position string) {
	t.Helper()
	su := c.signup(email)
	login := c.login(email, "correct horse battery")
	if login.status != 200 {
		t.Fatalf("login: %d %s", login.status, login.raw)
	}
	return su.str("company_id"), login.str("access_token"), su.header.Get("X-Event-Position")
}

func botCall(c client, key, message string) reply {
	return c.do("POST", "/v1/bot/messages", map[string]string{"message": message}, "Authorization", "Bearer "+key)
}

var helpdeskSettings = map[string]any{
	"greeting": "Hi!", "fallback_reply": "Sorry, I did not get that.",
	"replies": []map[string]any{
		{"keywords": []string{"price", "cost"}, "reply": "It costs 10 EUR."},
		{"keywords": []string{"hours"}, "reply": "We are open 9 to 5."},
	},
}

func TestChatbotsKeysAndTheBotAPI(t *testing.T) {
	c, _ := startIdentity(t)
	cid, tok, _ := owner(t, c, "owner@example.com")
	base := "/v1/companies/" + cid

	if r := c.do("POST", base+"/chatbots", map[string]any{"name": "Helpdesk", "settings": map[string]any{
		"fallback_reply": "x", "replies": []map[string]any{{"keywords": []string{}, "reply": "r"}}}}, bearer(tok)...); r.status != 422 {
		t.Errorf("a reply without keywords: %d %s", r.status, r.raw)
	}
	created := c.do("POST", base+"/chatbots", map[string]any{"name": "Helpdesk", "settings": helpdeskSettings}, bearer(tok)...)
	if created.status != 201 || created.str("id") == "" || created.str("status") != "active" {
		t.Fatalf("create chatbot: %d %s", created.status, created.raw)
	}
	bid := created.str("id")
	got := c.do("GET", base+"/chatbots/"+bid, nil, append(bearer(tok), "X-Min-Position", created.header.Get("X-Event-Position"))...)
	if got.status != 200 || got.str("name") != "Helpdesk" || !strings.Contains(got.raw, "It costs 10 EUR.") || !strings.Contains(got.raw, `"effective_limits"`) {
		t.Fatalf("get chatbot: %d %s", got.status, got.raw)
	}
	if list := c.do("GET", base+"/chatbots", nil, bearer(tok)...); len(list.items()) != 1 {
		t.Errorf("list chatbots: %s", list.raw)
	}

	issued := c.do("POST", base+"/chatbots/"+bid+"/api-keys", map[string]any{"name": "website"}, bearer(tok)...)
	key := issued.str("key")
	if issued.status != 201 || !strings.HasPrefix(key, "cbk_") || len(key) < 4+43 || issued.str("last4") != key[len(key)-4:] || !strings.HasPrefix(key, issued.str("prefix")) {
		t.Fatalf("issue key: %d %s", issued.status, issued.raw)
	}
	keys := c.do("GET", base+"/chatbots/"+bid+"/api-keys", nil, append(bearer(tok), "X-Min-Position", issued.header.Get("X-Event-Position"))...)
	if len(keys.items()) != 1 || strings.Contains(keys.raw, key) || strings.Contains(keys.raw, key[4:20]) {
		t.Fatalf("the key list (never the secret): %s", keys.raw)
	}

	for msg, want := range map[string]string{"What does it COST?": "It costs 10 EUR.", "opening hours?": "We are open 9 to 5.", "hello": "Sorry, I did not get that."} {
		r := botCall(c, key, msg)
		if r.status != 200 || r.str("reply") != want || r.str("conversation_id") == "" {
			t.Errorf("%q: %d %s", msg, r.status, r.raw)
		}
	}
	r := c.do("POST", "/v1/bot/messages", map[string]string{"message": "price", "conversation_id": "conv-1"}, "Authorization", "Bearer "+key)
	usage, _ := r.body["usage"].(map[string]any)
	if r.str("conversation_id") != "conv-1" || usage["requests_today"] != float64(4) || usage["daily_limit"] != float64(10000) {
		t.Errorf("conversation and usage: %s", r.raw)
	}
	for name, auth := range map[string]string{"none": "", "a token": "Bearer " + tok, "unknown": "Bearer cbk_unknownunknownunknownunknownunknown12", "not bearer": key} {
		if r := c.do("POST", "/v1/bot/messages", map[string]string{"message": "hi"}, "Authorization", auth); r.status != 401 || r.str("code") != "unauthenticated" {
			t.Errorf("%s: %d %s", name, r.status, r.raw)
		}
	}
	if r := botCall(c, key, ""); r.status != 422 {
		t.Errorf("an empty message: %d", r.status)
	}

	paused := c.do("PATCH", base+"/chatbots/"+bid, map[string]any{"status": "paused"}, bearer(tok)...)
	if paused.status != 200 || paused.str("status") != "paused" {
		t.Fatalf("pause: %d %s", paused.status, paused.raw)
	}
	if r := botCall(c, key, "price"); r.status != 403 || r.str("code") != "chatbot_paused" {
		t.Errorf("a paused chatbot: %d %s", r.status, r.raw)
	}
	c.do("PATCH", base+"/chatbots/"+bid, map[string]any{"status": "active"}, bearer(tok)...)
	if r := botCall(c, key, "price"); r.status != 200 {
		t.Errorf("resumed: %d %s", r.status, r.raw)
	}

	// Ten live keys at most.
	for i := 0; i < 9; i++ {
		if r := c.do("POST", base+"/chatbots/"+bid+"/api-keys", map[string]any{"name": "k"}, bearer(tok)...); r.status != 201 {
			t.Fatalf("key %d: %d %s", i+2, r.status, r.raw)
		}
	}
	if r := c.do("POST", base+"/chatbots/"+bid+"/api-keys", map[string]any{"name": "eleventh"}, bearer(tok)...); r.status != 409 || r.str("code") != "conflict" {
		t.Errorf("an eleventh key: %d %s", r.status, r.raw)
	}
	expired := c.do("POST", base+"/chatbots/"+bid+"/api-keys", map[string]any{"name": "old", "expires_at": time.Now().Add(-time.Minute).Format(time.RFC3339)}, bearer(tok)...)
	if expired.status != 422 {
		t.Errorf("a key expiring in the past: %d", expired.status)
	}

	if r := c.do("DELETE", base+"/chatbots/"+bid+"/api-keys/"+issued.str("id"), nil, bearer(tok)...); r.status != 204 {
		t.Fatalf("revoke: %d %s", r.status, r.raw)
	}
	if r := botCall(c, key, "price"); r.status != 401 {
		t.Errorf("a revoked key, next call: %d %s", r.status, r.raw)
	}
	del := c.do("DELETE", base+"/chatbots/"+bid, nil, bearer(tok)...)
	if del.status != 204 {
		t.Fatalf("delete chatbot: %d", del.status)
	}
	if r := c.do("GET", base+"/chatbots/"+bid, nil, append(bearer(tok), "X-Min-Position", del.header.Get("X-Event-Position"))...); r.status != 404 {
		t.Errorf("a deleted chatbot: %d", r.status)
	}
}

func TestRateLimitAndDailyQuota(t *testing.T) {
	c, settings := startIdentity(t)
	cid, tok, _ := owner(t, c, "owner@example.com")
	base := "/v1/companies/" + cid
	newBot := func(limits map[string]any) string {
		b := c.do("POST", base+"/chatbots", map[string]any{"name": "Bot", "settings": helpdeskSettings}, bearer(tok)...)
		if r := c.do("PUT", base+"/chatbots/"+b.str("id")+"/limits", limits, bearer(tok)...); r.status != 200 {
			t.Fatalf("limits: %d %s", r.status, r.raw)
		}
		return c.do("POST", base+"/chatbots/"+b.str("id")+"/api-keys", map[string]any{"name": "k"}, bearer(tok)...).str("key")
	}
	if r := c.do("PUT", base+"/chatbots/00000000-0000-7000-8000-000000000000/limits",
		map[string]any{"requests_per_minute": 5, "daily_requests": nil, "monthly_requests": nil}, bearer(tok)...); r.status != 404 {
		t.Errorf("limits of no chatbot: %d", r.status)
	}

	perMinute := newBot(map[string]any{"requests_per_minute": 5, "daily_requests": nil, "monthly_requests": nil})
	for i := range 5 {
		if r := botCall(c, perMinute, "hi"); r.status != 200 {
			t.Fatalf("call %d: %d %s", i+1, r.status, r.raw)
		}
	}
	r := botCall(c, perMinute, "hi")
	if r.status != 429 || r.str("code") != "rate_limited" || r.header.Get("Retry-After") == "" {
		t.Errorf("the 6th call in a minute: %d %s %v", r.status, r.raw, r.header)
	}

	daily := newBot(map[string]any{"requests_per_minute": nil, "daily_requests": 10, "monthly_requests": nil})
	for i := range 10 {
		if r := botCall(c, daily, "hi"); r.status != 200 {
			t.Fatalf("call %d: %d %s", i+1, r.status, r.raw)
		}
	}
	r = botCall(c, daily, "hi")
	if r.status != 429 || r.str("code") != "quota_exceeded" || r.header.Get("Retry-After") == "" {
		t.Errorf("the 11th call in a day: %d %s", r.status, r.raw)
	}
	// 80 % and 100 % of the daily quota were recorded, once each.
	var thresholds []string
	for _, env := range storedEvents(t, streamOf(t, settings), events.TypeFilter(events.QuotaThresholdReached)) {
		var d events.QuotaThresholdReachedData
		if err := json.Unmarshal(env.Data, &d); err != nil {
			t.Fatalf("decode %s: %v", env.Type, err)
		}
		thresholds = append(thresholds, fmt.Sprintf("%s %d %d/%d", d.Period, d.Threshold, d.Used, d.Limit))
	}
	if want := []string{"daily 80 8/10", "daily 100 10/10"}; !slices.Equal(thresholds, want) {
		t.Errorf("quota thresholds: %v, want %v", thresholds, want)
	}
	if r := c.do("PUT", base+"/chatbots/00000000-0000-7000-8000-000000000000/limits", map[string]any{"requests_per_minute": 0}, bearer(tok)...); r.status != 422 {
		t.Errorf("a zero limit: %d", r.status)
	}
}

func TestARevokedKeyFailsAtOnceInAnotherProcess(t *testing.T) {
	db := testkit.NewEmptyDatabase(t)
	a := settingsFor(t, db.URL)
	start(t, a, "serve")
	waitReady(t, "http://"+a["HTTP_ADDR"], 200, 15*time.Second)
	b := settingsFor(t, db.URL)
	b["DATA_DIR"] = a["DATA_DIR"]
	start(t, b, "command")
	waitReady(t, "http://"+b["HTTP_ADDR"], 200, 15*time.Second)
	ca, cb := client{t: t, base: "http://" + a["HTTP_ADDR"]}, client{t: t, base: "http://" + b["HTTP_ADDR"]}

	cid, tok, _ := owner(t, ca, "owner@example.com")
	base := "/v1/companies/" + cid
	bid := ca.do("POST", base+"/chatbots", map[string]any{"name": "Bot"}, bearer(tok)...).str("id")
	for round := range 10 {
		issued := ca.do("POST", base+"/chatbots/"+bid+"/api-keys", map[string]any{"name": "k"}, bearer(tok)...)
		key := issued.str("key")
		if r := botCall(cb, key, "hi"); r.status != 200 {
			t.Fatalf("round %d: a new key through the other process: %d %s", round, r.status, r.raw)
		}
		if r := ca.do("DELETE", base+"/chatbots/"+bid+"/api-keys/"+issued.str("id"), nil, bearer(tok)...); r.status != 204 {
			t.Fatalf("revoke: %d", r.status)
		}
		if r := botCall(cb, key, "hi"); r.status != 401 {
			t.Fatalf("round %d: a revoked key through the other process, next call: %d", round, r.status)
		}
	}
}

func TestMembersAndTheLastManager(t *testing.T) {
	c, _ := startIdentity(t)
	cid, tok, pos := owner(t, c, "owner@example.com")
	base := "/v1/companies/" + cid
	me := c.do("GET", "/v1/me", nil, append(bearer(tok), "X-Min-Position", pos)...)
	ownerID := me.str("id")

	// The only manager cannot step down or leave.
	if r := c.do("PATCH", base+"/members/"+ownerID, map[string]string{"role": "user"}, bearer(tok)...); r.status != 409 || r.str("code") != "conflict" {
		t.Errorf("demoting the last manager: %d %s", r.status, r.raw)
	}
	if r := c.do("DELETE", base+"/members/"+ownerID, nil, bearer(tok)...); r.status != 409 {
		t.Errorf("removing the last manager: %d %s", r.status, r.raw)
	}

	added := c.do("POST", base+"/members", map[string]string{"email": "bob@example.com", "name": "Bob", "password": "correct horse battery", "role": "user"}, bearer(tok)...)
	if added.status != 201 || added.str("role") != "user" || added.str("company_id") != cid {
		t.Fatalf("add member: %d %s", added.status, added.raw)
	}
	if r := c.do("POST", base+"/members", map[string]string{"email": "eve@example.com", "name": "Eve", "password": "correct horse battery", "role": "admin"}, bearer(tok)...); r.status != 422 {
		t.Errorf("adding an admin: %d", r.status)
	}
	bob := added.str("id")
	list := c.do("GET", base+"/members", nil, append(bearer(tok), "X-Min-Position", added.header.Get("X-Event-Position"))...)
	if len(list.items()) != 2 || !strings.Contains(list.raw, "bob@example.com") {
		t.Fatalf("members: %s", list.raw)
	}
	bobTok := c.login("bob@example.com", "correct horse battery").str("access_token")
	if r := c.do("GET", base+"/members", nil, bearer(bobTok)...); r.status != 200 {
		t.Errorf("a user reads its company's members: %d", r.status)
	}
	if r := c.do("POST", base+"/chatbots", map[string]string{"name": "Bot"}, bearer(bobTok)...); r.status != 403 {
		t.Errorf("a user creates a chatbot: %d", r.status)
	}

	// Bob becomes a manager; now the owner may step down.
	if r := c.do("PATCH", base+"/members/"+bob, map[string]string{"role": "company"}, bearer(tok)...); r.status != 200 || r.str("role") != "company" {
		t.Fatalf("promote: %d %s", r.status, r.raw)
	}
	bobTok = c.login("bob@example.com", "correct horse battery").str("access_token")
	if r := c.do("PATCH", base+"/members/"+ownerID, map[string]string{"role": "user"}, bearer(bobTok)...); r.status != 200 {
		t.Fatalf("demote the owner once another manager exists: %d %s", r.status, r.raw)
	}
	if r := c.do("GET", "/v1/me", nil, bearer(tok)...); r.status != 401 {
		t.Errorf("the demoted owner's token: %d", r.status)
	}
	if r := c.do("DELETE", base+"/members/"+bob, nil, bearer(bobTok)...); r.status != 409 {
		t.Errorf("the last manager removing itself: %d %s", r.status, r.raw)
	}
	del := c.do("DELETE", base+"/members/"+ownerID, nil, bearer(bobTok)...)
	if del.status != 204 {
		t.Fatalf("remove a member: %d %s", del.status, del.raw)
	}
	if r := c.login("owner@example.com", "correct horse battery"); r.status != 401 {
		t.Errorf("a removed member logs in: %d", r.status)
	}
	if r := c.do("PATCH", base, map[string]string{"name": "Renamed Inc"}, bearer(bobTok)...); r.status != 200 || r.str("name") != "Renamed Inc" {
		t.Errorf("rename: %d %s", r.status, r.raw)
	}
}
