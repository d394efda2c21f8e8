package main

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chatbotsaas/chatbot/events"
)

// walkCall is one call of a command route made so that it succeeds, and
// the actor every event it appends must name.
type walkCall struct {
	path   string
	body   any
	auth   string // the bearer credential: an access token or an API key; "" for none
	status int
	actor  func(reply) events.Actor
}

func actedBy(a events.Actor) func(reply) events.Actor { return func(reply) events.Actor { return a } }

// actorWalk holds the callers of the walk and makes fresh objects for
// each call, so that no call depends on another.
type actorWalk struct {
	t                 *testing.T
	c                 client
	admin, adminID    string
	owner, ownerID    string
	company, password string
	settings          map[string]string
	n                 int
	// park parks a stored event of the company as a dead letter of consumer.
	park func(consumer, aggregate, eventType string) string
}

func (w *actorWalk) uniq() string { w.n++; return fmt.Sprintf("w%d", w.n) }

func (w *actorWalk) must(r reply, status int, what string) reply {
	w.t.Helper()
	if r.status != status {
		w.t.Fatalf("%s: %d %s", what, r.status, r.raw)
	}
	return r
}

// person is a fresh user-role account of the company: its id and email.
func (w *actorWalk) person() (string, string) {
	email := w.uniq() + "@example.com"
	r := w.must(w.c.do("POST", "/v1/admin/users", map[string]string{"email": email, "name": "P", "password": w.password,
		"role": "user", "company_id": w.company}, bearer(w.admin)...), 201, "create a person")
	return r.str("id"), email
}

func (w *actorWalk) session(email string) reply {
	return w.must(w.c.login(email, w.password), 200, "log in")
}

func (w *actorWalk) companyPath(rest string) string { return "/v1/companies/" + w.company + rest }

func (w *actorWalk) bot() string {
	return w.must(w.c.do("POST", w.companyPath("/chatbots"), map[string]string{"name": "Bot"}, bearer(w.owner)...), 201, "create a chatbot").str("id")
}

func (w *actorWalk) key(bot string) reply {
	return w.must(w.c.do("POST", w.companyPath("/chatbots/"+bot+"/api-keys"), map[string]string{"name": "k"}, bearer(w.owner)...), 201, "issue a key")
}

func (w *actorWalk) member() string {
	return w.must(w.c.do("POST", w.companyPath("/members"), map[string]string{"email": w.uniq() + "@example.com", "name": "M",
		"password": w.password, "role": "user"}, bearer(w.owner)...), 201, "add a member").str("id")
}

// actorSteps lists, for every command route, calls that succeed. A route
// missing here fails the walk: no write goes unchecked.
var actorSteps = map[string]func(w *actorWalk) []walkCall{
	"POST /v1/auth/signup": func(w *actorWalk) []walkCall {
		return []walkCall{{path: "/v1/auth/signup", body: signupBody(w.uniq()), status: 201,
			actor: func(r reply) events.Actor { return events.UserActor(r.str("user_id")) }}}
	},
	"POST /v1/auth/login": func(w *actorWalk) []walkCall {
		id, email := w.person()
		as := actedBy(events.UserActor(id))
		return []walkCall{
			{path: "/v1/auth/login", body: map[string]string{"email": email, "password": w.password}, status: 200, actor: as},
			// A failed attempt names the account it claimed.
			{path: "/v1/auth/login", body: map[string]string{"email": email, "password": "not the password"}, status: 401, actor: as},
		}
	},
	"POST /v1/auth/refresh": func(w *actorWalk) []walkCall {
		id, email := w.person()
		return []walkCall{{path: "/v1/auth/refresh", body: map[string]string{"refresh_token": w.session(email).str("refresh_token")},
			status: 200, actor: actedBy(events.UserActor(id))}}
	},
	"POST /v1/auth/logout": func(w *actorWalk) []walkCall {
		id, email := w.person()
		return []walkCall{{path: "/v1/auth/logout", auth: w.session(email).str("access_token"), status: 204, actor: actedBy(events.UserActor(id))}}
	},
	"PATCH /v1/me": func(w *actorWalk) []walkCall {
		id, email := w.person()
		return []walkCall{{path: "/v1/me", body: map[string]string{"name": "Renamed"}, auth: w.session(email).str("access_token"),
			status: 200, actor: actedBy(events.UserActor(id))}}
	},
	"POST /v1/me/password": func(w *actorWalk) []walkCall {
		id, email := w.person()
		return []walkCall{{path: "/v1/me/password", body: map[string]string{"current_password": w.password, "new_password": "another long password"},
			auth: w.session(email).str("access_token"), status: 204, actor: actedBy(events.UserActor(id))}}
	},
	"POST /v1/auth/password-reset": func(w *actorWalk) []walkCall {
		id, email := w.person()
		return []walkCall{{path: "/v1/auth/password-reset", body: map[string]string{"email": email}, status: 202, actor: actedBy(events.UserActor(id))}}
	},
	"POST /v1/auth/password-reset/confirm": func(w *actorWalk) []walkCall {
		id, email := w.person()
		token := requestResetToken(w.t, w.c, w.settings, w.company, id, email)
		return []walkCall{{path: "/v1/auth/password-reset/confirm", body: map[string]string{"token": token, "new_password": "a brand new passphrase"},
			status: 204, actor: actedBy(events.UserActor(id))}}
	},
	"PATCH /v1/admin/config": func(w *actorWalk) []walkCall {
		return []walkCall{{path: "/v1/admin/config", body: map[string]any{"login_rate": map[string]int{"per_ip_per_minute": 99999},
			"password": map[string]int{"min_length": 13}}, auth: w.admin, status: 200, actor: actedBy(events.UserActor(w.adminID))}}
	},
	"POST /v1/admin/users": func(w *actorWalk) []walkCall {
		return []walkCall{{path: "/v1/admin/users", body: map[string]string{"email": w.uniq() + "@example.com", "name": "N",
			"password": w.password, "role": "user", "company_id": w.company}, auth: w.admin, status: 201, actor: actedBy(events.UserActor(w.adminID))}}
	},
	"PATCH /v1/admin/users/{id}": func(w *actorWalk) []walkCall {
		id, _ := w.person()
		return []walkCall{{path: "/v1/admin/users/" + id, body: map[string]string{"name": "Renamed"}, auth: w.admin, status: 200,
			actor: actedBy(events.UserActor(w.adminID))}}
	},
	"DELETE /v1/admin/users/{id}": func(w *actorWalk) []walkCall {
		id, _ := w.person()
		return []walkCall{{path: "/v1/admin/users/" + id, auth: w.admin, status: 204, actor: actedBy(events.UserActor(w.adminID))}}
	},
	"POST /v1/admin/users/{id}/unlock": func(w *actorWalk) []walkCall {
		id, email := w.person()
		for range 5 { // the default lockout
			w.c.login(email, "not the password")
		}
		return []walkCall{{path: "/v1/admin/users/" + id + "/unlock", auth: w.admin, status: 204, actor: actedBy(events.UserActor(w.adminID))}}
	},
	"PATCH /v1/admin/companies/{id}": func(w *actorWalk) []walkCall {
		other := w.c.signup(w.uniq() + "@example.com").str("company_id")
		return []walkCall{{path: "/v1/admin/companies/" + other, body: map[string]string{"status": "suspended"}, auth: w.admin, status: 200,
			actor: actedBy(events.UserActor(w.adminID))}}
	},
	"POST /v1/admin/projections/{name}/rebuild": func(w *actorWalk) []walkCall {
		return []walkCall{{path: "/v1/admin/projections/companies/rebuild", auth: w.admin, status: 202, actor: actedBy(events.UserActor(w.adminID))}}
	},
	"POST /v1/admin/dead-letters/{id}/retry": func(w *actorWalk) []walkCall {
		id := w.park("companies", events.AggregateCompany, events.CompanyRegistered)
		return []walkCall{{path: "/v1/admin/dead-letters/" + id + "/retry", auth: w.admin, status: 200, actor: actedBy(events.UserActor(w.adminID))}}
	},
	"POST /v1/admin/dead-letters/{id}/discard": func(w *actorWalk) []walkCall {
		id := w.park("users", events.AggregateUser, events.UserRegistered)
		return []walkCall{{path: "/v1/admin/dead-letters/" + id + "/discard", auth: w.admin, status: 204, actor: actedBy(events.UserActor(w.adminID))}}
	},
	"PATCH /v1/companies/{cid}": func(w *actorWalk) []walkCall {
		return []walkCall{{path: w.companyPath(""), body: map[string]string{"name": "Renamed " + w.uniq()}, auth: w.owner, status: 200,
			actor: actedBy(events.UserActor(w.ownerID))}}
	},
	"POST /v1/companies/{cid}/members": func(w *actorWalk) []walkCall {
		return []walkCall{{path: w.companyPath("/members"), body: map[string]string{"email": w.uniq() + "@example.com", "name": "M",
			"password": w.password, "role": "user"}, auth: w.owner, status: 201, actor: actedBy(events.UserActor(w.ownerID))}}
	},
	"PATCH /v1/companies/{cid}/members/{uid}": func(w *actorWalk) []walkCall {
		return []walkCall{{path: w.companyPath("/members/" + w.member()), body: map[string]string{"role": "company"}, auth: w.owner, status: 200,
			actor: actedBy(events.UserActor(w.ownerID))}}
	},
	"DELETE /v1/companies/{cid}/members/{uid}": func(w *actorWalk) []walkCall {
		return []walkCall{{path: w.companyPath("/members/" + w.member()), auth: w.owner, status: 204, actor: actedBy(events.UserActor(w.ownerID))}}
	},
	"POST /v1/companies/{cid}/chatbots": func(w *actorWalk) []walkCall {
		return []walkCall{{path: w.companyPath("/chatbots"), body: map[string]string{"name": "Bot"}, auth: w.owner, status: 201,
			actor: actedBy(events.UserActor(w.ownerID))}}
	},
	"PATCH /v1/companies/{cid}/chatbots/{bid}": func(w *actorWalk) []walkCall {
		return []walkCall{{path: w.companyPath("/chatbots/" + w.bot()), body: map[string]string{"status": "paused"}, auth: w.owner, status: 200,
			actor: actedBy(events.UserActor(w.ownerID))}}
	},
	// An administrator acting on a company's objects is named, not the company.
	"DELETE /v1/companies/{cid}/chatbots/{bid}": func(w *actorWalk) []walkCall {
		return []walkCall{{path: w.companyPath("/chatbots/" + w.bot()), auth: w.admin, status: 204, actor: actedBy(events.UserActor(w.adminID))}}
	},
	"PUT /v1/companies/{cid}/chatbots/{bid}/limits": func(w *actorWalk) []walkCall {
		return []walkCall{{path: w.companyPath("/chatbots/" + w.bot() + "/limits"), body: map[string]any{"requests_per_minute": 5,
			"daily_requests": nil, "monthly_requests": nil}, auth: w.owner, status: 200, actor: actedBy(events.UserActor(w.ownerID))}}
	},
	"POST /v1/companies/{cid}/chatbots/{bid}/api-keys": func(w *actorWalk) []walkCall {
		return []walkCall{{path: w.companyPath("/chatbots/" + w.bot() + "/api-keys"), body: map[string]string{"name": "k"}, auth: w.owner,
			status: 201, actor: actedBy(events.UserActor(w.ownerID))}}
	},
	"DELETE /v1/companies/{cid}/chatbots/{bid}/api-keys/{kid}": func(w *actorWalk) []walkCall {
		bot := w.bot()
		return []walkCall{{path: w.companyPath("/chatbots/" + bot + "/api-keys/" + w.key(bot).str("id")), auth: w.owner, status: 204,
			actor: actedBy(events.UserActor(w.ownerID))}}
	},
	"PUT /v1/companies/{cid}/chatbots/{bid}/api-keys/{kid}/limits": func(w *actorWalk) []walkCall {
		bot := w.bot()
		return []walkCall{{path: w.companyPath("/chatbots/" + bot + "/api-keys/" + w.key(bot).str("id") + "/limits"),
			body: map[string]any{"requests_per_minute": 5, "daily_requests": nil, "monthly_requests": nil}, auth: w.owner, status: 200,
			actor: actedBy(events.UserActor(w.ownerID))}}
	},
	// A daily limit of one makes the call cross the quota thresholds: what
	// it appends is the key's doing.
	"POST /v1/bot/messages": func(w *actorWalk) []walkCall {
		bot := w.bot()
		w.must(w.c.do("PUT", w.companyPath("/chatbots/"+bot+"/limits"), map[string]any{"requests_per_minute": nil, "daily_requests": 1,
			"monthly_requests": nil}, bearer(w.owner)...), 200, "set the daily limit")
		key := w.key(bot)
		return []walkCall{{path: "/v1/bot/messages", body: map[string]string{"message": "hi"}, auth: key.str("key"), status: 200,
			actor: actedBy(events.APIKeyActor(key.str("id")))}}
	},
}

// TestEveryWriteNamesItsActor walks every command route of the OpenAPI
// spec and checks, in the stream, that what each call appended names its
// caller as the actor and its X-Request-Id as the correlation id, and that
// the audit log finds it by actor_id.
func TestEveryWriteNamesItsActor(t *testing.T) {
	c, settings := startIdentity(t)
	w := &actorWalk{t: t, c: c, admin: adminToken(t, c, settings), password: "correct horse battery", settings: settings}
	w.must(c.do("PATCH", "/v1/admin/config", map[string]any{"login_rate": map[string]int{"per_ip_per_minute": 100000}}, bearer(w.admin)...), 200, "raise the login rate")
	w.adminID = w.must(c.do("GET", "/v1/me", nil, bearer(w.admin)...), 200, "admin profile").str("id")
	su := c.signup("owner@example.com")
	w.company, w.ownerID = su.str("company_id"), su.str("user_id")
	w.owner = w.session("owner@example.com").str("access_token")
	pool, err := pgxpool.New(context.Background(), settings["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	w.park = func(consumer, aggregate, eventType string) string {
		return parkStored(t, settings, pool, consumer, w.company, aggregate, eventType).ID
	}

	spec := c.do("GET", "/openapi.json", nil)
	paths, _ := spec.body["paths"].(map[string]any)
	var ops []string
	for path, item := range paths {
		for method := range item.(map[string]any) {
			if m := strings.ToUpper(method); m == "POST" || m == "PUT" || m == "PATCH" || m == "DELETE" {
				ops = append(ops, m+" "+path)
			}
		}
	}
	sort.Strings(ops)
	want := map[string]events.Actor{} // by request id
	route := map[string]string{}
	last := 0
	for _, op := range ops {
		step, ok := actorSteps[op]
		if !ok {
			t.Errorf("%s is not walked: add a call that succeeds and the actor it must name", op)
			continue
		}
		method, _, _ := strings.Cut(op, " ")
		for _, call := range step(w) {
			rid := "walk-" + w.uniq()
			headers := []string{"X-Request-Id", rid}
			if call.auth != "" {
				headers = append(headers, bearer(call.auth)...)
			}
			r := c.do(method, call.path, call.body, headers...)
			if r.status != call.status || r.header.Get("X-Request-Id") != rid {
				t.Errorf("%s: %d (request id %q), want %d (%q): %.200s", op, r.status, r.header.Get("X-Request-Id"), call.status, rid, r.raw)
				continue
			}
			want[rid], route[rid] = call.actor(r), op
			if h := r.header.Get("X-Event-Position"); h != "" { // reads carry none
				p, err := strconv.Atoi(h)
				if err != nil {
					t.Fatalf("%s: X-Event-Position %q: %v", op, h, err)
				}
				last = max(last, p)
			}
		}
	}

	// Usage is stored a moment later, by the flush that sums a key's calls:
	// its actor is the key too, and it has no single request to correlate.
	js := streamOf(t, settings)
	keys := []events.Actor{}
	for _, a := range want {
		if a.Type == events.ActorAPIKey {
			keys = append(keys, a)
		}
	}
	for _, key := range keys {
		deadline := time.Now().Add(10 * time.Second)
		for {
			usage := storedEvents(t, js, events.Subject(w.company, events.AggregateUsage, key.ID, events.UsageRecorded))
			if len(usage) > 0 {
				if usage[0].Actor != key {
					t.Errorf("UsageRecorded of key %s has actor %+v", key.ID, usage[0].Actor)
				}
				last = max(last, int(usage[len(usage)-1].Position))
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no UsageRecorded for key %s within 10s", key.ID)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	stored := storedEvents(t, js, events.AllFilter)
	byRequest := map[string][]events.Envelope{}
	for _, e := range stored {
		byRequest[e.CorrelationID] = append(byRequest[e.CorrelationID], e)
	}
	for rid, actor := range want {
		if len(byRequest[rid]) == 0 {
			t.Errorf("%s (request %s) appended nothing with its request id as correlation id", route[rid], rid)
		}
		for _, e := range byRequest[rid] {
			if e.Actor != actor {
				t.Errorf("%s appended %s with actor %+v, want %+v", route[rid], e.Type, e.Actor, actor)
			}
		}
	}

	t.Run("the audit log finds every event of an actor by actor_id", func(t *testing.T) {
		for _, actor := range append(keys, events.UserActor(w.ownerID), events.UserActor(w.adminID)) {
			var inStream []string
			for _, e := range stored {
				if e.Actor == actor {
					inStream = append(inStream, e.ID)
				}
			}
			logged := auditByActor(t, c, w.admin, actor.ID, last)
			if len(inStream) == 0 || strings.Join(logged, " ") != strings.Join(inStream, " ") {
				t.Errorf("actor_id=%s finds %d events, the stream has %d by that actor", actor.ID, len(logged), len(inStream))
			}
		}
	})
	t.Run("the audit log shows the password policy and token lifetimes and hides key hashes", func(t *testing.T) {
		auditRedaction(t, c, w.admin, last)
	})
}

// auditRedaction checks what the audit log shows of a configuration change
// and of an issued key.
func auditRedaction(t *testing.T, c client, admin string, after int) {
	t.Helper()
	at := func(v any, path ...string) any {
		for _, p := range path {
			m, _ := v.(map[string]any)
			v = m[p]
		}
		return v
	}
	min := append(bearer(admin), "X-Min-Position", strconv.Itoa(after))
	configs := c.do("GET", "/v1/admin/events?limit=200&type=ConfigurationChanged", nil, min...).items()
	if len(configs) == 0 {
		t.Fatal("no ConfigurationChanged in the audit log")
	}
	cfg := at(configs[len(configs)-1], "data", "config")
	if at(cfg, "password", "min_length") != float64(13) || at(cfg, "tokens", "access_ttl_seconds") != float64(900) ||
		at(cfg, "tokens", "refresh_reuse_grace_seconds") != float64(10) {
		t.Errorf("ConfigurationChanged shows config %v", cfg)
	}
	keys := c.do("GET", "/v1/admin/events?limit=200&type=ApiKeyIssued", nil, min...).items()
	if len(keys) == 0 {
		t.Fatal("no ApiKeyIssued in the audit log")
	}
	for _, k := range keys {
		if at(k, "data", "key_hash") != events.Redacted || at(k, "data", "key_id") == nil || at(k, "data", "last4") == nil {
			t.Errorf("ApiKeyIssued shows %v", k["data"])
		}
	}
	sessions := c.do("GET", "/v1/admin/events?limit=200&type=SessionStarted", nil, min...).items()
	for _, s := range sessions {
		if at(s, "data", "token_hash") != events.Redacted {
			t.Errorf("SessionStarted shows %v", s["data"])
		}
	}
}

// auditByActor lists the ids of the audit log's events with actor_id, in
// order, once the log has reached position after.
func auditByActor(t *testing.T, c client, admin, actorID string, after int) []string {
	t.Helper()
	var ids []string
	cursor := ""
	for {
		r := c.do("GET", "/v1/admin/events?limit=200&actor_id="+actorID+"&cursor="+cursor, nil,
			append(bearer(admin), "X-Min-Position", strconv.Itoa(after))...)
		if r.status != 200 {
			t.Fatalf("audit log by actor: %d %s", r.status, r.raw)
		}
		for _, it := range r.items() {
			if a, _ := it["actor"].(map[string]any); a["id"] != actorID {
				t.Errorf("actor_id=%s lists an event of %v", actorID, a)
			}
			ids = append(ids, it["id"].(string))
		}
		if cursor, _ = r.body["next_cursor"].(string); cursor == "" {
			return ids
		}
	}
}
