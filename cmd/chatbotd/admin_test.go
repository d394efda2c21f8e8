package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// adminToken creates an administrator with the CLI and logs it in.
func adminToken(t *testing.T, c client, settings map[string]string) string {
	t.Helper()
	code, out, stderr := runWithInput(settings, "an admin password 123\n", "admin", "create", "--email", "ops@example.com", "--password-stdin")
	if code != 0 || !strings.Contains(out, "created") {
		t.Fatalf("admin create: %d %q %q", code, out, stderr)
	}
	r := c.login("ops@example.com", "an admin password 123")
	if r.status != 200 {
		t.Fatalf("admin login: %d %s", r.status, r.raw)
	}
	return r.str("access_token")
}

func TestAdminBootstrapAndConfiguration(t *testing.T) {
	c, settings := startIdentity(t)
	admin := adminToken(t, c, settings)
	c.signup("ada@example.com")
	company := c.login("ada@example.com", "correct horse battery").str("access_token")

	if code, _, stderr := runWithInput(settings, "an admin password 123\n", "admin", "create", "--email", "ops@example.com", "--password-stdin"); code == 0 || !strings.Contains(stderr, "email") {
		t.Errorf("a second admin with the same email: %d %q", code, stderr)
	}
	if code, _, _ := runWithInput(settings, "short\n", "admin", "create", "--email", "x@example.com", "--password-stdin"); code == 0 {
		t.Error("an admin with a short password was created")
	}

	t.Run("roles and configuration are for admins only", func(t *testing.T) {
		for _, path := range []string{"/v1/admin/config", "/v1/admin/roles"} {
			if r := c.do("GET", path, nil, bearer(admin)...); r.status != 200 {
				t.Errorf("admin GET %s: %d %s", path, r.status, r.raw)
			}
			if r := c.do("GET", path, nil, bearer(company)...); r.status != 403 || r.str("code") != "forbidden" {
				t.Errorf("company GET %s: %d", path, r.status)
			}
		}
		if r := c.do("PATCH", "/v1/admin/config", map[string]any{"signup_enabled": false}, bearer(company)...); r.status != 403 {
			t.Errorf("company PATCH config: %d", r.status)
		}
	})
	t.Run("bad values answer 422 with the field", func(t *testing.T) {
		for _, body := range []map[string]any{
			{"lockout": map[string]any{"max_failures": 0}},
			{"tokens": map[string]any{"refresh_absolute_ttl_seconds": 600, "refresh_idle_ttl_seconds": 3600}},
			{"cors_allowed_origins": []string{"*"}},
		} {
			r := c.do("PATCH", "/v1/admin/config", body, bearer(admin)...)
			if r.status != 422 || !strings.Contains(r.raw, `"field"`) {
				t.Errorf("PATCH %v: %d %s", body, r.status, r.raw)
			}
		}
		if r := c.do("PATCH", "/v1/admin/config", map[string]any{"lockout": map[string]any{"max_fail": 3}}, bearer(admin)...); r.status != 400 {
			t.Errorf("unknown key: %d", r.status)
		}
	})
	t.Run("default limits have the bounds of every limit", func(t *testing.T) {
		for field, v := range map[string]any{"requests_per_minute": 100_000_000, "monthly_requests": 10_000_000_000, "daily_requests": 0} {
			r := c.do("PATCH", "/v1/admin/config", map[string]any{"default_limits": map[string]any{field: v}}, bearer(admin)...)
			if r.status != 422 || !strings.Contains(r.raw, `"field":"default_limits.`+field+`"`) {
				t.Errorf("default_limits.%s %v: %d %s", field, v, r.status, r.raw)
			}
		}
		spec := c.do("GET", "/openapi.json", nil)
		if !strings.Contains(spec.raw, `"requests_per_minute":{"format":"int64","maximum":1000000,"minimum":1`) {
			t.Errorf("the spec does not document the per-minute bound")
		}
	})
	t.Run("a change applies at once, CORS included", func(t *testing.T) {
		r := c.do("PATCH", "/v1/admin/config", map[string]any{"password": map[string]any{"min_length": 20},
			"cors_allowed_origins": []string{"https://app.example.com"}}, bearer(admin)...)
		if r.status != 200 || r.header.Get("X-Event-Position") == "" {
			t.Fatalf("PATCH: %d %s", r.status, r.raw)
		}
		deadline := time.Now().Add(time.Second)
		for {
			got := c.do("GET", "/v1/admin/config", nil, append(bearer(admin), "Origin", "https://app.example.com")...)
			if strings.Contains(got.raw, `"min_length":20`) && got.header.Get("Access-Control-Allow-Origin") == "https://app.example.com" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("not applied within 1s: %s %v", got.raw, got.header)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if r := c.do("POST", "/v1/auth/signup", map[string]string{"company_name": "B", "name": "B", "email": "b@example.com", "password": "sixteen chars ok"}); r.status != 422 {
			t.Errorf("a password under the new minimum: %d", r.status)
		}
	})
}

// A configuration change made through one process rules logins in another
// within a second.
func TestConfigurationReachesAnotherProcess(t *testing.T) {
	db := testkit.NewEmptyDatabase(t)
	a := settingsFor(t, db.URL)
	start(t, a, "command")
	waitReady(t, "http://"+a["HTTP_ADDR"], 200, 15*time.Second)
	b := settingsFor(t, db.URL)
	b["DATA_DIR"] = a["DATA_DIR"]
	start(t, b, "command")
	waitReady(t, "http://"+b["HTTP_ADDR"], 200, 15*time.Second)
	ca, cb := client{t: t, base: "http://" + a["HTTP_ADDR"]}, client{t: t, base: "http://" + b["HTTP_ADDR"]}

	// A query and a projector process follow the configuration too.
	var others []string
	for _, part := range []string{"query", "projector"} {
		s := settingsFor(t, db.URL)
		s["DATA_DIR"] = a["DATA_DIR"]
		start(t, s, part)
		waitReady(t, "http://"+s["HTTP_ADDR"], 200, 15*time.Second)
		others = append(others, "http://"+s["HTTP_ADDR"])
	}

	admin := adminToken(t, ca, a)
	ca.signup("ada@example.com")
	r := ca.do("PATCH", "/v1/admin/config", map[string]any{"lockout": map[string]any{"max_failures": 3}}, bearer(admin)...)
	if r.status != 200 {
		t.Fatalf("PATCH: %d %s", r.status, r.raw)
	}
	changed := time.Now()
	want := "chatbot_config_position " + r.header.Get("X-Event-Position")
	for _, base := range append(others, cb.base) {
		for {
			metrics := client{t: t, base: base}.do("GET", "/metrics", nil)
			if strings.Contains(metrics.raw, want+"\n") {
				break
			}
			if time.Since(changed) > time.Second {
				t.Fatalf("%s does not have the change in force within a second (want %q)", base, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	for range 3 {
		if r := cb.login("ada@example.com", "wrong password here"); r.status != 401 {
			t.Fatalf("wrong login: %d", r.status)
		}
	}
	if r := cb.login("ada@example.com", "correct horse battery"); r.status != 401 {
		t.Fatalf("the fourth login, with the right password, got %d: the account is not locked after 3 failures", r.status)
	}
}

func TestSuspendingACompanyStopsItsUsers(t *testing.T) {
	c, settings := startIdentity(t)
	admin := adminToken(t, c, settings)
	su := c.signup("ada@example.com")
	cid := su.str("company_id")
	other := c.signup("bob@example.com")
	pair := c.login("ada@example.com", "correct horse battery")
	at := pair.str("access_token")
	bob := c.login("bob@example.com", "correct horse battery").str("access_token")

	list := c.do("GET", "/v1/admin/companies?limit=1", nil, append(bearer(admin), "X-Min-Position", other.header.Get("X-Event-Position"))...)
	if list.status != 200 || list.body["next_cursor"] == nil {
		t.Fatalf("list: %d %s", list.status, list.raw)
	}
	page2 := c.do("GET", "/v1/admin/companies?limit=1&cursor="+list.body["next_cursor"].(string), nil, bearer(admin)...)
	if page2.status != 200 || !strings.Contains(page2.raw, other.str("company_id")) {
		t.Fatalf("second page: %d %s", page2.status, page2.raw)
	}
	if r := c.do("GET", "/v1/admin/companies/"+cid, nil, bearer(at)...); r.status != 403 {
		t.Errorf("a company manager reading the admin view: %d", r.status)
	}
	if r := c.do("PATCH", "/v1/admin/companies/00000000-0000-7000-8000-000000000000", map[string]string{"status": "suspended"}, bearer(admin)...); r.status != 404 {
		t.Errorf("suspending no company: %d %s", r.status, r.raw)
	}

	r := c.do("PATCH", "/v1/admin/companies/"+cid, map[string]string{"status": "suspended"}, bearer(admin)...)
	if r.status != 200 || r.str("status") != "suspended" {
		t.Fatalf("suspend: %d %s", r.status, r.raw)
	}
	deadline := time.Now().Add(time.Second)
	for c.do("GET", "/v1/me", nil, bearer(at)...).status != 401 {
		if time.Now().After(deadline) {
			t.Fatal("the suspended company's token still works after 1s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if r := c.login("ada@example.com", "correct horse battery"); r.status != 401 || r.str("code") != "invalid_credentials" {
		t.Errorf("login into a suspended company: %d %s", r.status, r.raw)
	}
	if r := c.do("POST", "/v1/auth/refresh", map[string]string{"refresh_token": pair.str("refresh_token")}); r.status != 401 {
		t.Errorf("refresh in a suspended company: %d", r.status)
	}
	if r := c.do("GET", "/v1/me", nil, bearer(bob)...); r.status != 200 {
		t.Errorf("another company's user lost access: %d", r.status)
	}
	got := c.do("GET", "/v1/admin/companies/"+cid, nil, append(bearer(admin), "X-Min-Position", r.header.Get("X-Event-Position"))...)
	if got.str("status") != "suspended" {
		t.Errorf("admin view: %s", got.raw)
	}

	if r := c.do("PATCH", "/v1/admin/companies/"+cid, map[string]string{"status": "active"}, bearer(admin)...); r.status != 200 {
		t.Fatalf("reactivate: %d %s", r.status, r.raw)
	}
	if r := c.login("ada@example.com", "correct horse battery"); r.status != 200 {
		t.Errorf("login after reactivation: %d %s", r.status, r.raw)
	}
}

func TestAuditLog(t *testing.T) {
	c, settings := startIdentity(t)
	admin := adminToken(t, c, settings)
	su := c.signup("ada@example.com")
	pair := c.login("ada@example.com", "correct horse battery")
	rot := c.do("POST", "/v1/auth/refresh", map[string]string{"refresh_token": pair.str("refresh_token")})
	if rot.status != 200 {
		t.Fatalf("refresh: %d", rot.status)
	}
	last := c.do("POST", "/v1/auth/logout", nil, bearer(rot.str("access_token"))...)

	all := c.do("GET", "/v1/admin/events?company_id="+su.str("company_id"), nil, append(bearer(admin), "X-Min-Position", last.header.Get("X-Event-Position"))...)
	if all.status != 200 {
		t.Fatalf("audit log: %d %s", all.status, all.raw)
	}
	items, _ := all.body["items"].([]any)
	var types []string
	prev := 0.0
	for _, it := range items {
		m := it.(map[string]any)
		types = append(types, m["type"].(string))
		if pos := m["position"].(float64); pos <= prev {
			t.Errorf("not oldest first: %v after %v", pos, prev)
		} else {
			prev = pos
		}
		if m["tenant_id"] != su.str("company_id") || m["id"] == "" || m["actor"] == nil {
			t.Errorf("envelope %v", m)
		}
	}
	for _, want := range []string{"CompanyRegistered", "UserRegistered", "LoginSucceeded", "SessionStarted", "RefreshTokenRotated", "SessionRevoked"} {
		if !strings.Contains(strings.Join(types, " "), want) {
			t.Errorf("the log of the company has no %s: %v", want, types)
		}
	}
	if !strings.Contains(all.raw, `"token_hash":"[redacted]"`) || strings.Contains(all.raw, pair.str("refresh_token")) {
		t.Errorf("a token hash or token is visible: %.400s", all.raw)
	}
	for _, tok := range strings.FieldsFunc(all.raw, func(r rune) bool { return r == '"' }) {
		if len(tok) == 64 && strings.Trim(tok, "0123456789abcdef") == "" {
			t.Errorf("a hex digest is in the audit log: %s", tok)
		}
	}

	page := c.do("GET", "/v1/admin/events?limit=2&type=SessionStarted", nil, bearer(admin)...)
	if page.status != 200 || len(page.body["items"].([]any)) == 0 {
		t.Fatalf("filter by type: %d %s", page.status, page.raw)
	}
	first := c.do("GET", "/v1/admin/events?limit=1", nil, bearer(admin)...)
	next, _ := first.body["next_cursor"].(string)
	second := c.do("GET", "/v1/admin/events?limit=1&cursor="+next, nil, bearer(admin)...)
	if next == "" || second.status != 200 || second.raw == first.raw {
		t.Errorf("cursor paging: %q %d", next, second.status)
	}
	if r := c.do("GET", "/v1/admin/events?cursor=abc", nil, bearer(admin)...); r.status != 400 {
		t.Errorf("a bad cursor: %d", r.status)
	}
}

func TestAdminManagesUsers(t *testing.T) {
	c, settings := startIdentity(t)
	admin := adminToken(t, c, settings)
	su := c.signup("ada@example.com")
	uid := su.str("user_id")
	at := c.login("ada@example.com", "correct horse battery").str("access_token")
	for range 5 {
		c.login("ada@example.com", "wrong password here")
	}

	// The list finds her by prefix; her record shows the lock.
	deadline := time.Now().Add(5 * time.Second)
	var got reply
	for {
		got = c.do("GET", "/v1/admin/users/"+uid, nil, bearer(admin)...)
		if got.body["locked_until"] != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got.status != 200 || got.body["locked_until"] == nil || got.body["lock_count"] != float64(1) || got.str("email") != "ada@example.com" {
		t.Fatalf("GET user: %d %s", got.status, got.raw)
	}
	if r := c.do("GET", "/v1/admin/users?q=AD&status=locked", nil, bearer(admin)...); !strings.Contains(r.raw, uid) {
		t.Errorf("search by prefix and locked status: %s", r.raw)
	}
	if r := c.do("GET", "/v1/admin/users?role=admin", nil, bearer(admin)...); strings.Contains(r.raw, uid) {
		t.Errorf("role filter: %s", r.raw)
	}
	attempts := c.do("GET", "/v1/admin/users/"+uid+"/login-attempts", nil, bearer(admin)...)
	if items, _ := attempts.body["items"].([]any); len(items) != 6 || items[0].(map[string]any)["succeeded"] != false {
		t.Errorf("login attempts, newest first: %s", attempts.raw)
	}

	if r := c.do("POST", "/v1/admin/users/"+uid+"/unlock", nil, bearer(admin)...); r.status != 204 {
		t.Fatalf("unlock: %d %s", r.status, r.raw)
	}
	if r := c.login("ada@example.com", "correct horse battery"); r.status != 200 {
		t.Fatalf("login after unlock: %d", r.status)
	}

	// She is her company's only manager: someone else must be one first.
	if r := c.do("PATCH", "/v1/admin/users/"+uid, map[string]string{"role": "user"}, bearer(admin)...); r.status != 409 {
		t.Fatalf("demoting the last manager: %d %s", r.status, r.raw)
	}
	if r := c.do("POST", "/v1/admin/users", map[string]string{"email": "grace@example.com", "name": "Grace", "password": "correct horse battery",
		"role": "company", "company_id": su.str("company_id")}, bearer(admin)...); r.status != 201 {
		t.Fatalf("a second manager: %d %s", r.status, r.raw)
	}
	if r := c.do("PATCH", "/v1/admin/users/"+uid, map[string]string{"role": "user"}, bearer(admin)...); r.status != 200 || r.str("role") != "user" {
		t.Fatalf("role change: %d %s", r.status, r.raw)
	}
	if r := c.do("GET", "/v1/me", nil, bearer(at)...); r.status != 401 {
		t.Errorf("a token from before the role change: %d", r.status)
	}
	if r := c.do("PATCH", "/v1/admin/users/"+uid, map[string]string{"role": "admin"}, bearer(admin)...); r.status != 422 {
		t.Errorf("making a company member an admin: %d", r.status)
	}
	if r := c.do("PATCH", "/v1/admin/users/"+uid, map[string]string{"company_id": su.str("company_id")}, bearer(admin)...); r.status != 422 {
		t.Errorf("moving a user: %d", r.status)
	}
	if r := c.do("PATCH", "/v1/admin/users/"+uid, map[string]string{"status": "disabled"}, bearer(admin)...); r.status != 200 {
		t.Fatalf("disable: %d %s", r.status, r.raw)
	}
	if r := c.login("ada@example.com", "correct horse battery"); r.status != 401 {
		t.Errorf("a disabled user logged in: %d", r.status)
	}

	del := c.do("DELETE", "/v1/admin/users/"+uid, nil, bearer(admin)...)
	if del.status != 204 {
		t.Fatalf("delete: %d %s", del.status, del.raw)
	}
	if r := c.do("GET", "/v1/admin/users/"+uid, nil, append(bearer(admin), "X-Min-Position", del.header.Get("X-Event-Position"))...); r.status != 404 {
		t.Errorf("a deleted user: %d %s", r.status, r.raw)
	}
	if r := c.do("GET", "/v1/admin/users/"+uid+"/login-attempts", nil, bearer(admin)...); r.status != 404 {
		t.Errorf("a deleted user's attempts: %d", r.status)
	}
	if r := c.do("POST", "/v1/admin/users", map[string]string{"email": "ada@example.com", "name": "Ada again", "password": "correct horse battery",
		"role": "company", "company_id": su.str("company_id")}, bearer(admin)...); r.status != 201 {
		t.Errorf("the email is free again after deletion: %d %s", r.status, r.raw)
	}
	if r := c.do("DELETE", "/v1/admin/users/00000000-0000-7000-8000-000000000000", nil, bearer(admin)...); r.status != 404 {
		t.Errorf("deleting nobody: %d", r.status)
	}
}

func TestProjectionsListAndRebuild(t *testing.T) {
	c, settings := startIdentity(t)
	admin := adminToken(t, c, settings)
	su := c.signup("ada@example.com")

	list := c.do("GET", "/v1/admin/projections", nil, bearer(admin)...)
	var names []string
	for _, p := range list.items() {
		names = append(names, p["name"].(string))
		if p["state"] == nil || p["stream_position"] == nil || p["lag"] == nil || p["position"] == nil {
			t.Errorf("a projection's status lacks a field: %v", p)
		}
	}
	if list.status != 200 || !slices.Contains(names, "users") || !slices.Contains(names, "event_log") {
		t.Fatalf("projections: %d %s", list.status, list.raw)
	}
	if r := c.do("POST", "/v1/admin/projections/nothing/rebuild", nil, bearer(admin)...); r.status != 404 || r.str("code") != "not_found" {
		t.Errorf("an unknown projection: %d %s", r.status, r.raw)
	}

	r := c.do("POST", "/v1/admin/projections/users/rebuild", nil, bearer(admin)...)
	if r.status != 202 || r.header.Get("X-Event-Position") == "" {
		t.Fatalf("rebuild: %d %s", r.status, r.raw)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		var users map[string]any
		for _, p := range c.do("GET", "/v1/admin/projections", nil, bearer(admin)...).items() {
			if p["name"] == "users" {
				users = p
			}
		}
		if users["rebuilt_at"] != nil && users["state"] == "running" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the users projection did not rebuild: %v", users)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := c.do("GET", "/v1/admin/users/"+su.str("user_id"), nil, bearer(admin)...); got.status != 200 || got.str("email") != "ada@example.com" {
		t.Errorf("a user after the rebuild: %d %s", got.status, got.raw)
	}
	audit := c.do("GET", "/v1/admin/events?type=ProjectionRebuildRequested", nil, bearer(admin)...)
	if !strings.Contains(audit.raw, `"projection":"users"`) {
		t.Errorf("the request is not in the audit log: %s", audit.raw)
	}

	// The same from the command line.
	if code, out, stderr := runOnce(settings, "admin", "rebuild", "companies"); code != 0 || !strings.Contains(out, "rebuild of companies requested") {
		t.Fatalf("admin rebuild: %d %q %q", code, out, stderr)
	}
	if code, _, stderr := runOnce(settings, "admin", "rebuild", "nothing"); code != 2 || !strings.Contains(stderr, "event_log") {
		t.Errorf("admin rebuild of nothing: %d %q", code, stderr)
	}
	deadline = time.Now().Add(15 * time.Second)
	for {
		var companies map[string]any
		for _, p := range c.do("GET", "/v1/admin/projections", nil, bearer(admin)...).items() {
			if p["name"] == "companies" {
				companies = p
			}
		}
		if companies["rebuilt_at"] != nil && companies["state"] == "running" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the companies projection did not rebuild: %v", companies)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestCompanyPlanSetsDefaultLimits(t *testing.T) {
	c, settings := startIdentity(t)
	admin := adminToken(t, c, settings)
	su := c.signup("ada@example.com")
	cid := su.str("company_id")

	got := c.do("GET", "/v1/admin/companies/"+cid, nil, append(bearer(admin), "X-Min-Position", su.header.Get("X-Event-Position"))...)
	plan, _ := got.body["plan"].(map[string]any)
	eff, _ := plan["effective_limits"].(map[string]any)
	if plan["name"] != "default" || eff["requests_per_minute"] != float64(60) || eff["daily_requests"] != float64(10000) {
		t.Fatalf("a new company's plan: %s", got.raw)
	}

	for _, bad := range []map[string]any{
		{"plan": map[string]any{"name": "pro", "limits": map[string]any{"requests_per_minute": 0}}},
		{"plan": map[string]any{"name": "pro", "limits": map[string]any{"daily_requests": 500, "monthly_requests": 100}}},
		{"plan": map[string]any{"name": "Not A Name"}},
		{"status": "archived"},
	} {
		if r := c.do("PATCH", "/v1/admin/companies/"+cid, bad, bearer(admin)...); r.status != 422 {
			t.Errorf("PATCH %v: %d %s", bad, r.status, r.raw)
		}
	}
	if r := c.do("PATCH", "/v1/admin/companies/00000000-0000-7000-8000-000000000000", map[string]any{"plan": map[string]any{"name": "pro"}}, bearer(admin)...); r.status != 404 {
		t.Errorf("an unknown company: %d", r.status)
	}

	r := c.do("PATCH", "/v1/admin/companies/"+cid, map[string]any{"status": "suspended",
		"plan": map[string]any{"name": "pro", "limits": map[string]any{"requests_per_minute": 600, "daily_requests": 50000}}}, bearer(admin)...)
	if r.status != 200 || r.str("status") != "suspended" || !strings.Contains(r.raw, `"name":"pro"`) {
		t.Fatalf("status and plan at once: %d %s", r.status, r.raw)
	}
	got = c.do("GET", "/v1/admin/companies/"+cid, nil, append(bearer(admin), "X-Min-Position", r.header.Get("X-Event-Position"))...)
	plan, _ = got.body["plan"].(map[string]any)
	own, _ := plan["limits"].(map[string]any)
	eff, _ = plan["effective_limits"].(map[string]any)
	if got.str("status") != "suspended" || plan["name"] != "pro" || own["requests_per_minute"] != float64(600) || own["monthly_requests"] != nil ||
		eff["daily_requests"] != float64(50000) || eff["monthly_requests"] != float64(100000) {
		t.Errorf("after the change: %s", got.raw)
	}
	// The platform default behind a null limit follows the configuration.
	cfg := c.do("PATCH", "/v1/admin/config", map[string]any{"default_limits": map[string]any{"monthly_requests": 200000}}, bearer(admin)...)
	if cfg.status != 200 {
		t.Fatalf("config: %d %s", cfg.status, cfg.raw)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		got = c.do("GET", "/v1/admin/companies/"+cid, nil, bearer(admin)...)
		if strings.Contains(got.raw, `"monthly_requests":200000`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the effective monthly limit did not follow the configuration: %s", got.raw)
		}
		time.Sleep(20 * time.Millisecond)
	}
	audit := c.do("GET", "/v1/admin/events?type=CompanyPlanChanged", nil, append(bearer(admin), "X-Min-Position", r.header.Get("X-Event-Position"))...)
	if !strings.Contains(audit.raw, `"plan":"pro"`) {
		t.Errorf("the audit log: %s", audit.raw)
	}
}
