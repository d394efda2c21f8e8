package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/projector"
	"github.com/chatbotsaas/chatbot/shared/deadletter"
)

// parkStored parks the stored event of type typ of company cid as a dead
// letter of consumer, as the consumer would have after its retries.
func parkStored(t *testing.T, settings map[string]string, pool *pgxpool.Pool, consumer, cid, aggregate, typ string) deadletter.Letter {
	t.Helper()
	ctx := context.Background()
	js := streamOf(t, settings)
	stream, err := js.Stream(ctx, events.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := stream.GetLastMsgForSubject(ctx, events.Subject(cid, aggregate, "*", typ))
	if err != nil {
		t.Fatal(err)
	}
	l := deadletter.New(deadletter.KindProjection, consumer, msg.Sequence, msg.Subject, msg.Data, "the reducer failed", 5)
	if err := deadletter.Park(ctx, pool, l); err != nil {
		t.Fatal(err)
	}
	return l
}

func TestDeadLettersAnOperatorActsOn(t *testing.T) {
	c, settings := startIdentity(t)
	admin := adminToken(t, c, settings)
	adminID := c.do("GET", "/v1/me", nil, bearer(admin)...).str("id")
	su := c.signup("ada@example.com")
	cid := su.str("company_id")
	company := c.login("ada@example.com", "correct horse battery").str("access_token")
	pool, err := pgxpool.New(context.Background(), settings["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if r := c.do("GET", "/v1/admin/companies/"+cid, nil, append(bearer(admin), "X-Min-Position", su.header.Get("X-Event-Position"))...); r.status != 200 {
		t.Fatalf("the company is not projected: %d", r.status)
	}
	// The company's row is lost behind the projector's back, as if its
	// event had failed to apply and been parked.
	if _, err := pool.Exec(context.Background(), `DELETE FROM `+projector.CompaniesTable+` WHERE id = $1`, cid); err != nil {
		t.Fatal(err)
	}
	lost := parkStored(t, settings, pool, "companies", cid, events.AggregateCompany, events.CompanyRegistered)
	kept := parkStored(t, settings, pool, "users", cid, events.AggregateUser, events.UserRegistered)
	dropped := parkStored(t, settings, pool, "event_log", cid, events.AggregateUser, events.UserRegistered)

	t.Run("only admins see or act on them", func(t *testing.T) {
		for _, call := range [][2]string{{"GET", "/v1/admin/dead-letters"}, {"GET", "/v1/admin/dead-letters/" + lost.ID},
			{"POST", "/v1/admin/dead-letters/" + lost.ID + "/retry"}, {"POST", "/v1/admin/dead-letters/" + lost.ID + "/discard"}} {
			if r := c.do(call[0], call[1], nil, bearer(company)...); r.status != 403 || r.str("code") != "forbidden" {
				t.Errorf("%s %s as a company: %d %s", call[0], call[1], r.status, r.raw)
			}
		}
	})
	t.Run("the roles list the dead-letter permissions for admins only", func(t *testing.T) {
		roles := c.do("GET", "/v1/admin/roles", nil, bearer(admin)...)
		var admins, others string
		var list []map[string]any
		if err := json.Unmarshal([]byte(roles.raw), &list); err != nil {
			t.Fatalf("decode the roles: %v", err)
		}
		for _, r := range list {
			perms := fmt.Sprint(r["permissions"])
			if r["name"] == "admin" {
				admins = perms
			} else {
				others += perms
			}
		}
		if !strings.Contains(admins, "dead_letters:read") || !strings.Contains(admins, "dead_letters:write") || strings.Contains(others, "dead_letters") {
			t.Errorf("roles: %s", roles.raw)
		}
	})
	t.Run("the list pages oldest first and filters by consumer", func(t *testing.T) {
		var ids []string
		cursor := ""
		for range 4 {
			r := c.do("GET", "/v1/admin/dead-letters?limit=1"+cursor, nil, bearer(admin)...)
			for _, it := range r.items() {
				ids = append(ids, it["id"].(string))
				if it["consumer"] == nil || it["position"] == nil || it["event_type"] == nil || it["attempts"] == nil || it["parked_at"] == nil {
					t.Errorf("a listed dead letter lacks a field: %v", it)
				}
			}
			next, _ := r.body["next_cursor"].(string)
			if next == "" {
				break
			}
			cursor = "&cursor=" + next
		}
		if strings.Join(ids, ",") != strings.Join([]string{lost.ID, kept.ID, dropped.ID}, ",") {
			t.Errorf("paged list %v, want the three in parking order", ids)
		}
		r := c.do("GET", "/v1/admin/dead-letters?consumer=users", nil, bearer(admin)...)
		if items := r.items(); len(items) != 1 || items[0]["id"] != kept.ID {
			t.Errorf("consumer=users: %s", r.raw)
		}
		if r := c.do("GET", "/v1/admin/dead-letters?cursor=abc", nil, bearer(admin)...); r.status != 400 {
			t.Errorf("a bad cursor: %d", r.status)
		}
	})
	t.Run("one shows its event envelope", func(t *testing.T) {
		r := c.do("GET", "/v1/admin/dead-letters/"+lost.ID, nil, bearer(admin)...)
		env, _ := r.body["envelope"].(map[string]any)
		if r.status != 200 || env["type"] != events.CompanyRegistered || env["aggregate_id"] != cid || r.body["resolved_at"] != nil {
			t.Errorf("show: %d %s", r.status, r.raw)
		}
		if r := c.do("GET", "/v1/admin/dead-letters/0190a1b2-0000-7000-8000-000000000009", nil, bearer(admin)...); r.status != 404 {
			t.Errorf("an unknown dead letter: %d", r.status)
		}
	})
	t.Run("a retried dead letter is applied once", func(t *testing.T) {
		r := c.do("POST", "/v1/admin/dead-letters/"+lost.ID+"/retry", nil, bearer(admin)...)
		if r.status != 200 || r.str("outcome") != "applied" || r.header.Get("X-Event-Position") == "" {
			t.Fatalf("retry: %d %s", r.status, r.raw)
		}
		if got := c.do("GET", "/v1/admin/companies/"+cid, nil, bearer(admin)...); got.status != 200 {
			t.Errorf("the company after the retry: %d %s", got.status, got.raw)
		}
		if again := c.do("POST", "/v1/admin/dead-letters/"+lost.ID+"/retry", nil, bearer(admin)...); again.status != 409 || again.str("code") != "conflict" {
			t.Errorf("second retry: %d %s", again.status, again.raw)
		}
		shown := c.do("GET", "/v1/admin/dead-letters/"+lost.ID, nil, bearer(admin)...)
		by, _ := shown.body["resolved_by"].(map[string]any)
		if shown.str("resolution") != "retried" || shown.body["resolved_at"] == nil || by["id"] != adminID {
			t.Errorf("after the retry: %s", shown.raw)
		}
		audit := c.do("GET", "/v1/admin/events?type=DeadLetterRetryRequested&actor_id="+adminID, nil,
			append(bearer(admin), "X-Min-Position", r.header.Get("X-Event-Position"))...)
		// Every request is recorded, the refused second one too (it may
		// not be applied yet): the one that retried is there.
		found := false
		for _, it := range audit.items() {
			if pos, _ := it["position"].(float64); fmt.Sprint(int64(pos)) == r.header.Get("X-Event-Position") {
				found = true
			}
		}
		if !found {
			t.Errorf("the retry at %s is not in the audit log: %s", r.header.Get("X-Event-Position"), audit.raw)
		}
	})
	t.Run("a discard is an audit event with the admin as actor and resolves it", func(t *testing.T) {
		r := c.do("POST", "/v1/admin/dead-letters/"+dropped.ID+"/discard", nil, bearer(admin)...)
		if r.status != 204 || r.header.Get("X-Event-Position") == "" {
			t.Fatalf("discard: %d %s", r.status, r.raw)
		}
		audit := c.do("GET", "/v1/admin/events?type=DeadLetterDiscardRequested", nil,
			append(bearer(admin), "X-Min-Position", r.header.Get("X-Event-Position"))...)
		items := audit.items()
		if len(items) != 1 {
			t.Fatalf("discards in the audit log: %s", audit.raw)
		}
		actor, _ := items[0]["actor"].(map[string]any)
		data, _ := items[0]["data"].(map[string]any)
		if actor["type"] != "user" || actor["id"] != adminID || data["dead_letter_id"] != dropped.ID {
			t.Errorf("the discard event: %v", items[0])
		}
		shown := c.do("GET", "/v1/admin/dead-letters/"+dropped.ID, nil, bearer(admin)...)
		if shown.str("resolution") != "discarded" || shown.body["resolved_at"] == nil {
			t.Errorf("after the discard: %s", shown.raw)
		}
		for _, verb := range []string{"discard", "retry"} {
			if again := c.do("POST", "/v1/admin/dead-letters/"+dropped.ID+"/"+verb, nil, bearer(admin)...); again.status != 409 {
				t.Errorf("%s of a discarded letter: %d", verb, again.status)
			}
		}
		open := c.do("GET", "/v1/admin/dead-letters?resolved=false", nil, bearer(admin)...)
		if items := open.items(); len(items) != 1 || items[0]["id"] != kept.ID {
			t.Errorf("resolved=false: %s", open.raw)
		}
	})
	t.Run("the command line does the same", func(t *testing.T) {
		code, out, stderr := runOnce(settings, "dead-letters", "list", "--resolved", "false")
		if code != 0 || !strings.Contains(out, kept.ID) || strings.Contains(out, lost.ID) {
			t.Errorf("list: %d %q %q", code, out, stderr)
		}
		code, out, _ = runOnce(settings, "dead-letters", "list", "--consumer", "companies", "--json")
		var listed deadletter.Letter
		if err := json.Unmarshal([]byte(out), &listed); code != 0 || err != nil || listed.ID != lost.ID || listed.Open() {
			t.Errorf("list --json: %d %q %v", code, out, err)
		}
		if code, out, _ := runOnce(settings, "dead-letters", "show", kept.ID); code != 0 || !strings.Contains(out, `"envelope"`) {
			t.Errorf("show: %d %q", code, out)
		}
		if code, out, stderr := runOnce(settings, "dead-letters", "discard", kept.ID); code != 0 || !strings.Contains(out, "discarded") {
			t.Errorf("discard: %d %q %q", code, out, stderr)
		}
		if code, _, stderr := runOnce(settings, "dead-letters", "retry", kept.ID); code != 1 || !strings.Contains(stderr, "already resolved") {
			t.Errorf("retry of a discarded letter: %d %q", code, stderr)
		}
		if code, _, _ := runOnce(settings, "dead-letters", "frobnicate"); code != 2 {
			t.Errorf("an unknown action: %d", code)
		}
	})
}
