package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// totals reads the usage report's totals.
func totals(c client, tok, cid, filter string) float64 {
	r := c.do("GET", "/v1/companies/"+cid+"/usage?granularity=hour&"+filter, nil, bearer(tok)...)
	t, _ := r.body["totals"].(map[string]any)
	n, _ := t["requests"].(float64)
	return n
}

func TestThousandCallsAreCountedOnceAcrossAProjectorRestart(t *testing.T) {
	db := testkit.NewEmptyDatabase(t)
	cmd := settingsFor(t, db.URL)
	cmd["LOG_LEVEL"] = "debug" // every line a request can cause
	cmdProc := start(t, cmd, "command")
	waitReady(t, "http://"+cmd["HTTP_ADDR"], 200, 15*time.Second)
	shared := func() map[string]string {
		s := settingsFor(t, db.URL)
		s["DATA_DIR"] = cmd["DATA_DIR"]
		return s
	}
	qry := shared()
	start(t, qry, "query")
	waitReady(t, "http://"+qry["HTTP_ADDR"], 200, 15*time.Second)
	proj := shared()
	first := start(t, proj, "projector")
	waitReady(t, "http://"+proj["HTTP_ADDR"], 200, 15*time.Second)
	cc, qc := client{t: t, base: "http://" + cmd["HTTP_ADDR"]}, client{t: t, base: "http://" + qry["HTTP_ADDR"]}

	cid, tok, _ := owner(t, cc, "owner@example.com")
	base := "/v1/companies/" + cid
	// The plan's limits are the most a chatbot may have: raised for the burst.
	if r := cc.do("PATCH", "/v1/admin/companies/"+cid, map[string]any{"plan": map[string]any{"name": "burst",
		"limits": map[string]any{"requests_per_minute": 100000}}}, bearer(adminToken(t, cc, cmd))...); r.status != 200 {
		t.Fatalf("raise the plan: %d %s", r.status, r.raw)
	}
	bid := cc.do("POST", base+"/chatbots", map[string]any{"name": "Bot", "settings": helpdeskSettings}, bearer(tok)...).str("id")
	cc.do("PUT", base+"/chatbots/"+bid+"/limits", map[string]any{"requests_per_minute": 100000, "daily_requests": 100000, "monthly_requests": 1000000}, bearer(tok)...)
	keys := []map[string]any{}
	for range 2 {
		keys = append(keys, cc.do("POST", base+"/chatbots/"+bid+"/api-keys", map[string]any{"name": "k"}, bearer(tok)...).body)
	}
	otherBot := cc.do("POST", base+"/chatbots", map[string]any{"name": "Other"}, bearer(tok)...).str("id")

	var wg sync.WaitGroup
	var mu sync.Mutex
	failed, firstFailure := 0, ""
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 125 {
				key := keys[(w+i)%2]["key"].(string)
				if r := botCall(cc, key, "price?"); r.status != 200 {
					mu.Lock()
					if failed++; failed == 1 {
						firstFailure = fmt.Sprintf("%d %s", r.status, r.raw)
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if failed > 0 {
		t.Fatalf("%d of 1,000 calls failed, the first with %s", failed, firstFailure)
	}
	keyA := keys[0]["id"].(string)
	deadline := time.Now().Add(15 * time.Second)
	for totals(qc, tok, cid, "chatbot_id="+bid) != 1000 {
		if time.Now().After(deadline) {
			t.Fatalf("the report says %v requests, want 1000", totals(qc, tok, cid, "chatbot_id="+bid))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := totals(qc, tok, cid, "api_key_id="+keyA); n != 500 {
		t.Errorf("key A: %v requests, want 500", n)
	}
	if n := totals(qc, tok, cid, "chatbot_id="+otherBot); n != 0 {
		t.Errorf("another chatbot: %v requests", n)
	}

	// A new projector process takes over from the checkpoint: no event is
	// applied twice.
	first.stop(t)
	start(t, shared(), "projector")
	time.Sleep(1500 * time.Millisecond)
	if n := totals(qc, tok, cid, "chatbot_id="+bid); n != 1000 {
		t.Errorf("after a projector restart: %v requests, want 1000", n)
	}
	keysList := qc.do("GET", base+"/chatbots/"+bid+"/api-keys", nil, bearer(tok)...)
	if strings.Count(keysList.raw, `"last_used_at":"`) != 2 {
		t.Errorf("last_used_at of both keys: %s", keysList.raw)
	}

	// The secret of a key is nowhere: not in read models, events or logs.
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := conn.Close(ctx); err != nil {
			t.Errorf("close the database connection: %v", err)
		}
	}()
	rows, err := conn.Query(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = current_schema()`)
	if err != nil {
		t.Fatalf("list the tables: %v", err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("list the tables: %v", err)
	}
	var dump strings.Builder
	for _, table := range tables {
		rows, err := conn.Query(ctx, fmt.Sprintf(`SELECT t::text FROM %s t`, pgx.Identifier{table}.Sanitize()))
		if err != nil {
			t.Fatal(err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("read %s: %v", table, err)
		}
		for _, line := range lines {
			dump.WriteString(line + "\n")
		}
	}
	for _, env := range storedEvents(t, streamOf(t, cmd), events.AllFilter) {
		dump.Write(env.Data)
	}
	logs := cmdProc.stdout.String() + cmdProc.stderr.String()
	if !strings.Contains(logs, "/v1/bot/messages") {
		t.Fatalf("the access log is not captured")
	}
	for _, k := range keys {
		secret := k["key"].(string)
		if strings.Contains(dump.String(), secret[4:]) {
			t.Errorf("a key's secret is stored")
		}
		if strings.Contains(logs, secret[4:]) {
			t.Errorf("a key's secret is logged")
		}
	}
}
