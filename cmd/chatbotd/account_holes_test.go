package main

import (
	"fmt"
	"testing"
	"time"
)

// auditHas waits for one event of type typ in the audit log (it is read
// from a projection).
func auditHas(t *testing.T, c client, admin, typ string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := c.do("GET", "/v1/admin/events?type="+typ, nil, bearer(admin)...)
		items, _ := r.body["items"].([]any)
		if len(items) == 1 {
			return
		}
		if len(items) > 1 || time.Now().After(deadline) {
			t.Fatalf("%s in the audit log: %s, want one", typ, r.raw)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// The token and account holes found from outside, each shown closed
// against a running chatbotd.
func TestTokenAndAccountHoles(t *testing.T) {
	c, settings := startIdentity(t)
	admin := adminToken(t, c, settings)

	t.Run("a victim's replay after a thief's 25 rotations revokes the session", func(t *testing.T) {
		c.signup("victim@example.com")
		original := c.login("victim@example.com", "correct horse battery").str("refresh_token")
		stolen := original
		var thiefAccess string
		for i := range 25 {
			r := c.do("POST", "/v1/auth/refresh", map[string]string{"refresh_token": stolen})
			if r.status != 200 {
				t.Fatalf("thief's rotation %d: %d %s", i+1, r.status, r.raw)
			}
			stolen, thiefAccess = r.str("refresh_token"), r.str("access_token")
		}
		if r := c.do("POST", "/v1/auth/refresh", map[string]string{"refresh_token": original}); r.status != 401 || r.str("code") != "invalid_refresh_token" {
			t.Fatalf("the victim's replay: %d %s, want 401 invalid_refresh_token", r.status, r.raw)
		}
		if r := c.do("POST", "/v1/auth/refresh", map[string]string{"refresh_token": stolen}); r.status != 401 || r.str("code") != "invalid_refresh_token" {
			t.Errorf("the thief's newest token after the replay: %d %s, want 401", r.status, r.raw)
		}
		if r := c.do("GET", "/v1/me", nil, bearer(thiefAccess)...); r.status != 401 {
			t.Errorf("the thief's access token after the replay: %d, want 401", r.status)
		}
		auditHas(t, c, admin, "RefreshTokenReuseDetected")
	})

	t.Run("wrong current passwords lock the account like failed logins", func(t *testing.T) {
		c.signup("guessed@example.com")
		access := c.login("guessed@example.com", "correct horse battery").str("access_token")
		guess := func(current string) reply {
			return c.do("POST", "/v1/me/password", map[string]string{"current_password": current, "new_password": "another horse battery"}, bearer(access)...)
		}
		for i := range 5 { // the default lockout: 5 failures
			if r := guess(fmt.Sprintf("guess number %d", i)); r.status != 403 || r.str("code") != "invalid_credentials" {
				t.Fatalf("guess %d: %d %s", i+1, r.status, r.raw)
			}
		}
		if r := guess("correct horse battery"); r.status != 403 || r.str("code") != "invalid_credentials" {
			t.Errorf("the right password on the locked account: %d %s, want 403 invalid_credentials", r.status, r.raw)
		}
		if r := c.login("guessed@example.com", "correct horse battery"); r.status != 401 {
			t.Errorf("login on the locked account: %d %s", r.status, r.raw)
		}
		auditHas(t, c, admin, "AccountLocked")
	})

	t.Run("the last active admin cannot be disabled, demoted or deleted", func(t *testing.T) {
		self := c.do("GET", "/v1/me", nil, bearer(admin)...).str("id")
		path := "/v1/admin/users/" + self
		lastAdmin := func(what string, r reply) {
			t.Helper()
			if r.status != 409 || r.str("code") != "conflict" {
				t.Errorf("%s the last admin: %d %s, want 409 conflict", what, r.status, r.raw)
			}
		}
		lastAdmin("disabling", c.do("PATCH", path, map[string]string{"status": "disabled"}, bearer(admin)...))
		lastAdmin("demoting", c.do("PATCH", path, map[string]string{"role": "company"}, bearer(admin)...))
		lastAdmin("deleting", c.do("DELETE", path, nil, bearer(admin)...))

		other := c.do("POST", "/v1/admin/users", map[string]string{"email": "ops2@example.com", "name": "Ops", "password": "an admin password 456", "role": "admin"}, bearer(admin)...)
		if other.status != 201 {
			t.Fatalf("a second admin: %d %s", other.status, other.raw)
		}
		otherPath := "/v1/admin/users/" + other.str("id")
		if r := c.do("PATCH", otherPath, map[string]string{"status": "disabled"}, bearer(admin)...); r.status != 200 {
			t.Fatalf("disabling an admin that is not the last: %d %s", r.status, r.raw)
		}
		lastAdmin("disabling, once the other is disabled,", c.do("PATCH", path, map[string]string{"status": "disabled"}, bearer(admin)...))
		if r := c.do("PATCH", otherPath, map[string]string{"status": "active"}, bearer(admin)...); r.status != 200 {
			t.Fatalf("enabling the other admin: %d %s", r.status, r.raw)
		}
		if r := c.do("DELETE", otherPath, nil, bearer(admin)...); r.status != 204 {
			t.Errorf("deleting an admin that is not the last: %d %s", r.status, r.raw)
		}
		lastAdmin("deleting, once the other is gone,", c.do("DELETE", path, nil, bearer(admin)...))
	})

	// Last: it spends this address's login rate.
	t.Run("password changes count toward the per-IP login rate", func(t *testing.T) {
		c.signup("rated@example.com")
		access := c.login("rated@example.com", "correct horse battery").str("access_token")
		if r := c.do("PATCH", "/v1/admin/config", map[string]any{"login_rate": map[string]any{"per_ip_per_minute": 5}}, bearer(admin)...); r.status != 200 {
			t.Fatalf("setting the login rate: %d %s", r.status, r.raw)
		}
		for i := range 30 {
			r := c.do("POST", "/v1/me/password", map[string]string{"current_password": "wrong", "new_password": "another horse battery"}, bearer(access)...)
			if r.status == 429 {
				if r.str("code") != "too_many_requests" || r.header.Get("Retry-After") == "" {
					t.Errorf("throttled answer: %v %s", r.header, r.raw)
				}
				return
			}
			if r.status != 403 {
				t.Fatalf("guess %d: %d %s", i+1, r.status, r.raw)
			}
		}
		t.Fatal("30 password guesses from one address were never throttled")
	})
}
