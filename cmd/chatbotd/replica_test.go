package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// The query API reads a streaming replica (QUERY_DATABASE_URL), and a read
// with the position of a write waits for the replica it reads: it never
// shows older state, answers 503 projection_lagging after its bound while
// the replica's replay is paused, and answers again once it resumes.
func TestReadsWithAPositionWaitForTheReplicaTheyRead(t *testing.T) {
	pair := testkit.StartPostgresPair(t)
	name := testkit.UniqueName(t)
	settings := settingsFor(t, testkit.WithDatabase(pair.PrimaryURL, name))
	settings["QUERY_DATABASE_URL"] = testkit.WithDatabase(pair.ReplicaURL, name)
	settings["READ_WAIT_TIMEOUT"] = "1s"
	start(t, settings, "serve")
	waitReady(t, "http://"+settings["HTTP_ADDR"], 200, 30*time.Second)
	c := client{t: t, base: "http://" + settings["HTTP_ADDR"]}
	cid, tok, _ := owner(t, c, "owner@example.com")
	base := "/v1/companies/" + cid + "/chatbots"

	bid := c.do("POST", base, map[string]any{"name": "Bot 0"}, bearer(tok)...).str("id")
	for i := 1; i <= 20; i++ {
		w := c.do("PATCH", base+"/"+bid, map[string]any{"name": fmt.Sprintf("Bot %d", i)}, bearer(tok)...)
		if w.status != 200 {
			t.Fatalf("rename %d: %d %s", i, w.status, w.raw)
		}
		r := c.do("GET", base+"/"+bid, nil, append(bearer(tok), "X-Min-Position", w.header.Get("X-Event-Position"))...)
		if r.status != 200 || r.str("name") != fmt.Sprintf("Bot %d", i) {
			t.Fatalf("read after rename %d: %d %s", i, r.status, r.raw)
		}
	}

	pair.PauseReplay(t)
	w := c.do("PATCH", base+"/"+bid, map[string]any{"name": "While paused"}, bearer(tok)...)
	if w.status != 200 {
		t.Fatalf("rename while paused: %d %s", w.status, w.raw)
	}
	min := append(bearer(tok), "X-Min-Position", w.header.Get("X-Event-Position"))
	// Without a position the read is the replica's, as it stands.
	if r := c.do("GET", base+"/"+bid, nil, bearer(tok)...); r.status != 200 || r.str("name") != "Bot 20" {
		t.Fatalf("a read without a position on the paused replica: %d %s", r.status, r.raw)
	}
	began := time.Now()
	r := c.do("GET", base+"/"+bid, nil, min...)
	if r.status != 503 || r.str("code") != "projection_lagging" || r.header.Get("Retry-After") == "" {
		t.Fatalf("a read with the position on the paused replica: %d %v %s", r.status, r.header, r.raw)
	}
	if waited := time.Since(began); waited < time.Second {
		t.Fatalf("503 after %v, before the 1s bound", waited)
	}

	pair.ResumeReplay(t)
	waitFor(t, "the read answers once the replica replays again", 10*time.Second, func() bool {
		r := c.do("GET", base+"/"+bid, nil, min...)
		return r.status == 200 && r.str("name") == "While paused"
	})
}
