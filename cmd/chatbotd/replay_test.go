package main

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chatbotsaas/chatbot/projector"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// statuses runs `chatbotd projections status --json`.
func statuses(t *testing.T, settings map[string]string) []projector.Status {
	t.Helper()
	code, out, stderr := runOnce(settings, "projections", "status", "--json")
	if code != 0 {
		t.Fatalf("projections status: %d %s", code, stderr)
	}
	var got []projector.Status
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("projections status --json: %v\n%s", err, out)
	}
	return got
}

// waitCaughtUp waits until every projection runs with nothing to apply.
func waitCaughtUp(t *testing.T, settings map[string]string, within time.Duration) []projector.Status {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got := statuses(t, settings)
		behind := ""
		for _, s := range got {
			if s.Lag > 0 || s.State != projector.StateRunning {
				behind = s.Name + " " + s.State
			}
		}
		if behind == "" {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("not caught up within %v: %s (%+v)", within, behind, got)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestVerifyFindsACorruptedRowAndReplayRepairsIt(t *testing.T) {
	db := testkit.NewEmptyDatabase(t)
	settings := settingsFor(t, db.URL)
	settings["NATS_SYNC_INTERVAL"] = "2m"
	proj := start(t, settings, "projector")
	waitReady(t, "http://"+settings["HTTP_ADDR"], 200, 15*time.Second)
	if code, out, stderr := runOnce(settings, "dev", "seed", "--events", "3000", "--tenants", "5", "--force"); code != 0 || !strings.Contains(out, "seeded 3000 events") {
		t.Fatalf("dev seed: %d %q %q", code, out, stderr)
	}
	if code, _, stderr := runOnce(settings, "dev", "seed", "--events", "10"); code != 2 || !strings.Contains(stderr, "not empty") {
		t.Errorf("seeding a stream that holds events: %d %q", code, stderr)
	}
	waitCaughtUp(t, settings, 30*time.Second)
	pool, err := pgxpool.New(context.Background(), db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	ctx := context.Background()

	var id string
	if err := pool.QueryRow(ctx, `UPDATE rm_users_v1 SET name = 'tampered' WHERE id = (SELECT id FROM rm_users_v1 ORDER BY id LIMIT 1)
		RETURNING id::text`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runOnce(settings, "projections", "verify", "users")
	if code != 1 || !strings.Contains(out, "1 rows differ") || !strings.Contains(out, id) || !strings.Contains(out, `"name": "tampered"`) {
		t.Errorf("verify of a corrupted row: %d %s", code, out)
	}

	// The replay repairs it while reads go on.
	stop := make(chan struct{})
	var reads, failures atomic.Int64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			var n int
			if err := pool.QueryRow(ctx, "SELECT count(*) FROM rm_users_v1").Scan(&n); err != nil || n == 0 {
				failures.Add(1)
			}
			reads.Add(1)
		}
	}()
	code, out, stderr := runOnce(settings, "replay", "users")
	close(stop)
	wg.Wait()
	if code != 0 || !strings.Contains(out, "users rebuilt and swapped in") {
		t.Fatalf("replay: %d %q %q", code, out, stderr)
	}
	if !strings.Contains(stderr, "users: ") || !strings.Contains(stderr, "events") {
		t.Errorf("no progress line: %q", stderr)
	}
	if reads.Load() == 0 || failures.Load() > 0 {
		t.Errorf("reads across the swap: %d, failed %d", reads.Load(), failures.Load())
	}
	if code, out, _ := runOnce(settings, "projections", "verify", "users"); code != 0 || !strings.Contains(out, "users: equal") {
		t.Errorf("verify after the replay: %d %s", code, out)
	}
	for _, s := range statuses(t, settings) {
		if s.Name == "users" && (s.RebuiltAt == nil || s.State != projector.StateRunning) {
			t.Errorf("status after the replay: %+v", s)
		}
	}
	code, out, _ = runOnce(settings, "projections", "status")
	if code != 0 || !strings.Contains(out, "rm_users_v1") || !strings.Contains(out, "LAST REBUILD") {
		t.Errorf("status table: %d %s", code, out)
	}

	// With no projector running, replay rebuilds by itself; and builds the
	// past beside the live read model.
	proj.stop(t)
	if code, out, stderr := runOnce(settings, "replay", "sessions"); code != 0 || !strings.Contains(out, "sessions rebuilt") {
		t.Fatalf("replay with no projector: %d %q %q", code, out, stderr)
	}
	half := strconv.Itoa(1500)
	if code, out, stderr := runOnce(settings, "replay", "event_log", "--to-position", half, "--into", "past"); code != 0 ||
		!strings.Contains(out, "as at position 1500 built into schema past") {
		t.Fatalf("time travel: %d %q %q", code, out, stderr)
	}
	var rows, last, want int64
	if err := pool.QueryRow(ctx, `SELECT count(*), coalesce(max(position), 0),
		(SELECT count(*) FROM rm_event_log_v1 WHERE position <= 1500) FROM past.rm_event_log_v1`).Scan(&rows, &last, &want); err != nil {
		t.Fatal(err)
	}
	if rows != want || last > 1500 || rows < 1400 {
		t.Errorf("the audit log as at 1500: %d rows up to %d, the live one has %d up to there", rows, last, want)
	}
	if code, _, stderr := runOnce(settings, "replay", "users", "--into", "public"); code != 1 || !strings.Contains(stderr, "not made by a replay") {
		t.Errorf("replay into the live schema: %d %q", code, stderr)
	}
}
