package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/shared/httpx"
)

// bucketDump reads every message the IDEMPOTENCY bucket's stream holds:
// subjects, headers and data.
func bucketDump(t *testing.T, js jetstream.JetStream) string {
	t.Helper()
	ctx := context.Background()
	stream, err := js.Stream(ctx, "KV_"+httpx.IdempotencyBucket)
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		if m, err := stream.GetMsg(ctx, seq); err == nil {
			fmt.Fprintf(&b, "%s %v %s\n", m.Subject, m.Header, m.Data)
		}
	}
	return b.String()
}

// assertSealed fails if the dump is empty or holds any of clear.
func assertSealed(t *testing.T, dump string, clear ...string) {
	t.Helper()
	if dump == "" {
		t.Fatal("the IDEMPOTENCY bucket is empty")
	}
	for _, c := range append(clear, "cbk_", "@example.com", `{\"`, `"key"`, "refresh_token") {
		if c != "" && strings.Contains(dump, c) {
			t.Errorf("the IDEMPOTENCY bucket holds %q in clear", c)
		}
	}
}

// A manager who issued an API key under an Idempotency-Key, then lost the
// right to, must not get the key again by replaying it.
func TestAReplayedKeyNeedsAManagerTheRouteAcceptsNow(t *testing.T) {
	c, settings := startIdentity(t)
	cid, ownerTok, _ := owner(t, c, "owner@example.com")
	base := "/v1/companies/" + cid
	bot := c.do("POST", base+"/chatbots", map[string]string{"name": "Helpdesk"}, bearer(ownerTok)...)
	if bot.status != 201 {
		t.Fatalf("create chatbot: %d %s", bot.status, bot.raw)
	}
	keys := base + "/chatbots/" + bot.str("id") + "/api-keys"
	var secrets []string

	// manager adds a manager who issues a key twice under one
	// Idempotency-Key: one key, answered alike.
	manager := func(name string) (id, tok string) {
		t.Helper()
		email := name + "@example.com"
		m := c.do("POST", base+"/members", map[string]string{"email": email, "name": name, "password": "correct horse battery", "role": "company"}, bearer(ownerTok)...)
		if m.status != 201 {
			t.Fatalf("add %s: %d %s", name, m.status, m.raw)
		}
		tok = c.login(email, "correct horse battery").str("access_token")
		first := c.do("POST", keys, map[string]string{"name": name}, append(bearer(tok), "Idempotency-Key", "key-"+name)...)
		again := c.do("POST", keys, map[string]string{"name": name}, append(bearer(tok), "Idempotency-Key", "key-"+name)...)
		if first.status != 201 || !strings.HasPrefix(first.str("key"), "cbk_") || again.str("key") != first.str("key") || again.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("%s's retried key: %d %s / %d %s", name, first.status, first.raw, again.status, again.raw)
		}
		secrets = append(secrets, first.str("key"), tok)
		return m.str("id"), tok
	}
	replay := func(name, tok string) reply {
		t.Helper()
		return c.do("POST", keys, map[string]string{"name": name}, append(bearer(tok), "Idempotency-Key", "key-"+name)...)
	}
	refused := func(what string, r reply, want int) {
		t.Helper()
		if r.status != want || strings.Contains(r.raw, "cbk_") || r.header.Get("Idempotent-Replayed") != "" {
			t.Errorf("%s: %d %s, want %d without the key", what, r.status, r.raw, want)
		}
	}

	// The replay is refused like any call of the revoked token: the
	// revocation has reached the guard.
	revoked := func(tok string) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); c.do("GET", "/v1/me", nil, bearer(tok)...).status != 401; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("a revoked token still works")
			}
		}
	}

	_, loggedOut := manager("lou")
	if r := c.do("POST", "/v1/auth/logout", nil, bearer(loggedOut)...); r.status != 204 {
		t.Fatalf("logout: %d %s", r.status, r.raw)
	}
	revoked(loggedOut)
	refused("a logged-out manager's replay", replay("lou", loggedOut), 401)

	demotedID, demoted := manager("dee")
	if r := c.do("PATCH", base+"/members/"+demotedID, map[string]string{"role": "user"}, bearer(ownerTok)...); r.status != 200 {
		t.Fatalf("demote: %d %s", r.status, r.raw)
	}
	revoked(demoted)
	refused("a demoted manager's old token", replay("dee", demoted), 401)
	refused("a demoted manager's new token", replay("dee", c.login("dee@example.com", "correct horse battery").str("access_token")), 403)

	removedID, removed := manager("rex")
	if r := c.do("DELETE", base+"/members/"+removedID, nil, bearer(ownerTok)...); r.status != 204 {
		t.Fatalf("remove: %d %s", r.status, r.raw)
	}
	revoked(removed)
	refused("a removed manager's replay", replay("rex", removed), 401)

	// A bot call's replay needs its API key to be good now.
	apiKey := c.do("POST", keys, map[string]string{"name": "web"}, bearer(ownerTok)...)
	call := func() reply {
		return c.do("POST", "/v1/bot/messages", map[string]string{"message": "hi"}, "Authorization", "Bearer "+apiKey.str("key"), "Idempotency-Key", "m-1")
	}
	if a, b := call(), call(); a.status != 200 || b.raw != a.raw || b.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("a retried bot call: %s / %s", a.raw, b.raw)
	}
	if r := c.do("DELETE", keys+"/"+apiKey.str("id"), nil, bearer(ownerTok)...); r.status != 204 {
		t.Fatalf("revoke: %d %s", r.status, r.raw)
	}
	if r := call(); r.status != 401 || r.header.Get("Idempotent-Replayed") != "" {
		t.Errorf("a revoked key's replay: %d %s", r.status, r.raw)
	}
	assertSealed(t, bucketDump(t, streamOf(t, settings)), append(secrets, "Helpdesk", "key-lou", "m-1")...)
}

func TestCredentialsAreNeverReplayed(t *testing.T) {
	c, settings := startIdentity(t)
	admin := adminToken(t, c, settings)
	r := c.do("PATCH", "/v1/admin/config", map[string]any{"tokens": map[string]any{"refresh_reuse_grace_seconds": 0}}, bearer(admin)...)
	if r.status != 200 {
		t.Fatalf("PATCH config: %d %s", r.status, r.raw)
	}
	want, deadline := "chatbot_config_position "+r.header.Get("X-Event-Position")+"\n", time.Now().Add(5*time.Second)
	for !strings.Contains(c.do("GET", "/metrics", nil).raw, want) {
		if time.Now().After(deadline) {
			t.Fatal("the configuration is not in force")
		}
		time.Sleep(10 * time.Millisecond)
	}
	signup := map[string]string{"company_name": "Acme", "name": "Ada", "email": "ada@example.com", "password": "correct horse battery"}
	if r := c.do("POST", "/v1/auth/signup", signup, "Idempotency-Key", "signup-1"); r.status != 201 {
		t.Fatalf("signup: %d %s", r.status, r.raw)
	}
	login := func() reply {
		return c.do("POST", "/v1/auth/login", map[string]string{"email": "ada@example.com", "password": "correct horse battery"}, "Idempotency-Key", "login-1")
	}
	a, b := login(), login()
	if a.status != 200 || b.status != 200 || a.str("refresh_token") == b.str("refresh_token") || b.header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("a login was replayed: %s / %s", a.raw, b.raw)
	}

	refresh := func(token string) reply {
		return c.do("POST", "/v1/auth/refresh", map[string]string{"refresh_token": token}, "Idempotency-Key", "refresh-1")
	}
	next := refresh(a.str("refresh_token"))
	if next.status != 200 {
		t.Fatalf("refresh: %d %s", next.status, next.raw)
	}
	// The spent token with its original key: reuse, not a replay.
	if r := refresh(a.str("refresh_token")); r.status != 401 || r.str("code") != "invalid_refresh_token" || r.header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("a spent refresh token with its key: %d %s", r.status, r.raw)
	}
	if r := refresh(next.str("refresh_token")); r.status != 401 {
		t.Errorf("the session outlived the reuse: %d %s", r.status, r.raw)
	}
	if r := c.do("GET", "/v1/me", nil, bearer(next.str("access_token"))...); r.status != 401 {
		t.Errorf("the session's access token after the reuse: %d", r.status)
	}

	tok := b.str("access_token")
	for range 2 {
		if r := c.do("POST", "/v1/auth/logout", nil, append(bearer(tok), "Idempotency-Key", "logout-1")...); r.header.Get("Idempotent-Replayed") != "" {
			t.Errorf("a logout was replayed: %d", r.status)
		}
	}
	if r := c.do("GET", "/v1/me", nil, bearer(tok)...); r.status != 401 {
		t.Errorf("after logout: %d", r.status)
	}
	assertSealed(t, bucketDump(t, streamOf(t, settings)), a.str("refresh_token"), b.str("refresh_token"), next.str("refresh_token"),
		a.str("access_token"), next.str("access_token"), "correct horse battery", "Acme")
}
