package main

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/command/devseed"
	"github.com/chatbotsaas/chatbot/projector"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// projectorProcess starts `chatbotd projector` as a process of its own.
func projectorProcess(t *testing.T, settings map[string]string) *exec.Cmd {
	t.Helper()
	cmd, _ := startChild(t, settings, "projector")
	waitReady(t, "http://"+settings["HTTP_ADDR"], 200, 15*time.Second)
	return cmd
}

// leaders counts the projections whose lock the process connecting as
// application app holds.
func leaders(t *testing.T, pool *pgxpool.Pool, app string) int {
	t.Helper()
	var n int
	err := pool.QueryRow(context.Background(), `SELECT count(*) FROM projection_checkpoints c WHERE EXISTS (
		SELECT 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND a.application_name = $1
		AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended('projection:' || c.name, 0))`, app).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func waitFor(t *testing.T, what string, within time.Duration, ok func() bool) time.Duration {
	t.Helper()
	began := time.Now()
	for !ok() {
		if time.Since(began) > within {
			t.Fatalf("%s: not within %v", what, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return time.Since(began)
}

func TestAStandbyProjectorTakesOverFromAKilledOneAndTheReadModelsStayExact(t *testing.T) {
	ctx := context.Background()
	nt := brokerChild(t, "2m")
	db := testkit.NewEmptyDatabase(t)
	shared := map[string]string{"NATS_URL": nt.URL, "DATA_DIR": t.TempDir(), "LOG_LEVEL": "info"}
	// Each connects under a name of its own, to tell whose locks are whose.
	settings := func(app string) map[string]string {
		sep := "?"
		if strings.Contains(db.URL, "?") {
			sep = "&"
		}
		s := map[string]string{"HTTP_ADDR": freeAddr(t), "DATABASE_URL": db.URL + sep + "application_name=" + app}
		for k, v := range shared {
			s[k] = v
		}
		return s
	}
	active := projectorProcess(t, settings("first"))
	pool, err := pgxpool.New(ctx, db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	all := len(projector.All())
	waitFor(t, "the first projector leads every projection", 15*time.Second, func() bool { return leaders(t, pool, "first") == all })
	projectorProcess(t, settings("standby"))

	js, err := jetstream.New(nt.Conn)
	if err != nil {
		t.Fatal(err)
	}
	seeded, err := devseed.Events(ctx, js, devseed.EventsOptions{Events: 10_000, Tenants: 10, Force: true}) // beside what the projector appends at start
	if err != nil {
		t.Fatal(err)
	}
	checkpoint := func() uint64 {
		var pos int64
		err := pool.QueryRow(ctx, "SELECT position FROM projection_checkpoints WHERE name = 'event_log'").Scan(&pos)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) { // none before the first batch
			t.Fatalf("read the checkpoint of event_log: %v", err)
		}
		return uint64(pos)
	}
	waitFor(t, "the audit log is under way", 20*time.Second, func() bool { return checkpoint() > 1000 })
	kill9(t, active) // no goodbye
	if at := checkpoint(); at >= seeded.Position {
		t.Logf("the killed projector had applied the whole audit log (%d); the others were mid-stream", at)
	}
	took := waitFor(t, "the standby leads every projection", 10*time.Second, func() bool { return leaders(t, pool, "standby") == all })
	t.Logf("taken over in %v", took)

	progress := projector.NewProgress(pool, js, projector.All())
	waitFor(t, "the standby catches up", 60*time.Second, func() bool {
		got, err := progress.Statuses(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range got {
			if s.Lag > 0 || s.Position == 0 && s.Name == "event_log" {
				return false
			}
		}
		return true
	})
	if checkpoint() < seeded.Position {
		t.Fatalf("the audit log stopped at %d of %d", checkpoint(), seeded.Position)
	}
	if code, out := runChild(t, settings("verify"), "projections", "verify", "--all"); code != 0 {
		t.Errorf("the read models after the fail-over differ from a clean replay (exit %d):\n%s", code, out)
	}
}
