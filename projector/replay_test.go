package projector

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/chatbotsaas/chatbot/command/devseed"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// productEnv runs the product's projections on a seeded stream.
type productEnv struct {
	*env
	runner      *Runner
	last        uint64
	projections []Projection
}

func newProductEnv(t *testing.T, n int, projections ...Projection) *productEnv {
	t.Helper()
	return newProductEnvWith(t, n, Options{FetchWait: 200 * time.Millisecond, StandbyPoll: 100 * time.Millisecond}, projections...)
}

// newProductEnvWith is newProductEnv with the runner's options given.
func newProductEnvWith(t *testing.T, n int, o Options, projections ...Projection) *productEnv {
	t.Helper()
	ctx := context.Background()
	// Seeded histories are large: the disk is synced every two minutes,
	// not at every event.
	db, nt := testkit.NewDatabase(t), testkit.StartNATSWithSync(t, "2m")
	e := &env{t: t, db: db, nats: nt, reg: events.Default}
	e.js = e.newJS()
	if _, err := events.EnsureStream(ctx, e.js, 1); err != nil {
		t.Fatal(err)
	}
	seeded, err := devseed.Events(ctx, e.js, devseed.EventsOptions{Events: n, Tenants: 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d events seeded in %v", seeded.Events, seeded.Took)
	r := New(Deps{Pool: db.Pool, JS: e.js, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, projections, o)
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	return &productEnv{env: e, runner: r, last: seeded.Position, projections: projections}
}

// caughtUp waits until every projection has nothing left to apply.
func (e *productEnv) caughtUp(within time.Duration) {
	e.t.Helper()
	deadline := time.Now().Add(within)
	for {
		statuses, err := NewProgress(e.db.Pool, e.js, e.projections).Statuses(context.Background())
		if err != nil {
			e.t.Fatal(err)
		}
		behind := ""
		for _, s := range statuses {
			if s.Lag > 0 || s.State != StateRunning {
				behind = s.Name
			}
		}
		if behind == "" {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s did not catch up within %v: %+v", behind, within, statuses)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (e *productEnv) verifyAll() {
	e.t.Helper()
	for _, p := range e.projections {
		v, err := e.runner.Verify(context.Background(), p.Name, 5)
		if err != nil {
			e.t.Fatalf("verify %s: %v", p.Name, err)
		}
		if v.Differences != 0 {
			e.t.Errorf("%s: %d rows differ between the live path and the replay: %+v", p.Name, v.Differences, v.Shown)
		}
	}
}

// The audit log is where the paths differ most: the live one inserts row
// by row, a replay loads by COPY and builds the indexes after.
func TestTheFastPathGivesTheLivePathsRows(t *testing.T) {
	e := newProductEnv(t, 20_000, EventLog()) // four replay batches, each copied by two writers
	began := time.Now()
	e.caughtUp(90 * time.Second)
	t.Logf("the live path applied them in %v", time.Since(began))
	began = time.Now()
	e.verifyAll()
	t.Logf("verified in %v", time.Since(began))

	// A rebuild swaps in what verify replays.
	began = time.Now()
	if _, err := e.runner.Rebuild(context.Background(), "event_log", requestRebuild(t, e.js, "event_log"), nil); err != nil {
		t.Fatal(err)
	}
	t.Logf("rebuilt in %v", time.Since(began))
	var rows int
	if err := e.db.Pool.QueryRow(context.Background(), "SELECT count(*) FROM "+EventLogTable).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if uint64(rows) < e.last {
		t.Errorf("%d audit log rows after the rebuild, %d events", rows, e.last)
	}
	e.verifyAll()
}

// Every product projection, by its reducers in large batches, ends with the
// rows of the live path.
func TestEveryProjectionsReplayGivesTheLiveRows(t *testing.T) {
	e := newProductEnv(t, 5_000, All()...)
	// Under the race detector beside the other packages' tests on two
	// cores, the projections that take whole aggregates have needed more
	// than a minute for these 5,000 events.
	e.caughtUp(3 * time.Minute)
	e.verifyAll()
}
