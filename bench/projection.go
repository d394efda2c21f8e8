package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/projector"
)

// ceilingRows is how many rows the batched upsert ceiling writes (fewer
// in the harness's smoke test).
var ceilingRows = 100_000

// benchCatchUp compares the event_log projection catching up a backlog
// with the batched Postgres ceiling: 500 upserts of rows of the same shape
// plus a checkpoint update per transaction, sent as one pgx batch.
func benchCatchUp(cfg runConfig) (Result, error) {
	ctx := context.Background()
	db, n, base, err := projectionSetup(ctx, "always")
	if err != nil {
		return Result{}, err
	}
	defer db.Close()
	defer n.Close()
	last, err := publishBacklog(n, cfg.backlog)
	if err != nil {
		return Result{}, err
	}

	runner := projector.New(projector.Deps{Pool: db.Pool, JS: n.JS, Registry: benchRegistry(),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, []projector.Projection{projector.EventLog()}, projector.Options{})
	start := time.Now()
	if err := runner.Start(ctx); err != nil {
		return Result{}, err
	}
	defer runner.Stop()
	commits, err := watchCheckpoint(ctx, db, "event_log", last, 5*time.Minute)
	if err != nil {
		return Result{}, err
	}
	elapsed := time.Since(start)
	slices.Sort(commits)
	load := Load{Requests: cfg.backlog, Rate: float64(cfg.backlog) / elapsed.Seconds(),
		P50ms: pct(commits, 0.5), P99ms: pct(commits, 0.99), P999ms: pct(commits, 0.999)}
	return Result{
		Name: "event_log projection catch-up", Ceiling: "Postgres: 500 upserts + checkpoint per transaction (pgx batch)",
		Target: 0.6, Ratio: load.Rate / base.Rate, Load: load, Base: base,
		Note: fmt.Sprintf("%d-event backlog; rates are events (rows) per second; latencies are the time between two commits of the consumer "+
			"(one batch of up to 500 events), read from its checkpoint every millisecond: %d commits", cfg.backlog, len(commits)),
	}, nil
}

// watchCheckpoint reads the projection's checkpoint every millisecond on
// a connection of its own until it reaches last, and answers the times
// between its moves: each is one committed batch.
func watchCheckpoint(ctx context.Context, db *benchDB, name string, last uint64, limit time.Duration) ([]time.Duration, error) {
	conn, err := db.Pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Release()
	var commits []time.Duration
	var pos, seen int64
	began := time.Now()
	moved := began
	for uint64(seen) < last {
		// The row appears when the consumer first starts.
		err := conn.QueryRow(ctx, "SELECT position FROM projection_checkpoints WHERE name = $1", name).Scan(&pos)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return nil, err
		}
		if pos != seen {
			// The first move ends the consumer's start, not a batch.
			if now := time.Now(); seen == 0 {
				seen, moved = pos, now
			} else {
				commits, seen, moved = append(commits, now.Sub(moved)), pos, now
			}
		}
		if time.Since(began) > limit {
			return nil, fmt.Errorf("catch-up stalled at %d of %d", seen, last)
		}
		time.Sleep(time.Millisecond)
	}
	return commits, nil
}

func batchedUpsertCeiling(ctx context.Context, db *benchDB) (Load, error) {
	if _, err := db.Pool.Exec(ctx, `CREATE TABLE ceiling (LIKE rm_event_log_v1 INCLUDING ALL);
		INSERT INTO projection_checkpoints (name) VALUES ('ceiling')`); err != nil {
		return Load{}, err
	}
	data := mustJSON(benchPayload)
	now := time.Now().UTC()
	start := time.Now()
	for tx := 0; tx < ceilingRows/500; tx++ {
		b := &pgx.Batch{}
		for i := range 500 {
			pos := int64(tx*500 + i + 1)
			b.Queue(`INSERT INTO ceiling (tenant_id, position, event_id, type, version, occurred_at, aggregate_type, aggregate_id,
				aggregate_version, actor_type, actor_id, correlation_id, causation_id, data)
				VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,NULL,NULL,NULL,$11) ON CONFLICT DO NOTHING`,
				"t", pos, uuid.NewString(), benchType, 1, now, "bench", "x", pos, "system", data)
		}
		b.Queue("UPDATE projection_checkpoints SET position = $1 WHERE name = 'ceiling'", int64(tx*500+500))
		if err := pgx.BeginFunc(ctx, db.Pool, func(t pgx.Tx) error { return t.SendBatch(ctx, b).Close() }); err != nil {
			return Load{}, err
		}
	}
	return Load{Requests: ceilingRows, Rate: float64(ceilingRows) / time.Since(start).Seconds()}, nil
}

// publishBacklog stores count events, in chunks of async publishes, and
// returns the last sequence.
func publishBacklog(n *benchNATS, count int) (uint64, error) {
	ajs, _ := jetstream.New(n.nc, jetstream.WithPublishAsyncMaxPending(4096))
	var last uint64
	for done := 0; done < count; {
		chunk := min(2000, count-done)
		futures := make([]jetstream.PubAckFuture, 0, chunk)
		for i := done; i < done+chunk; i++ {
			env := events.Envelope{ID: uuid.NewString(), Type: benchType, Version: 1, OccurredAt: time.Now().UTC(),
				TenantID: "t", AggregateType: "bench", AggregateID: fmt.Sprint(i % 1000), AggregateVersion: int64(i/1000 + 1),
				Actor: events.System, Data: mustJSON(benchPayload)}
			body, _ := env.Marshal()
			f, err := ajs.PublishAsync(env.Subject(), body, jetstream.WithStallWait(30*time.Second))
			if err != nil {
				return 0, err
			}
			futures = append(futures, f)
		}
		<-ajs.PublishAsyncComplete()
		for _, f := range futures {
			select {
			case ack := <-f.Ok():
				last = max(last, ack.Sequence)
			case err := <-f.Err():
				return 0, err
			}
		}
		done += chunk
	}
	return last, nil
}

// projectionSetup gives a projection scenario its database, an embedded
// NATS server syncing as sync with the EVENTS stream, and the batched
// upsert ceiling measured on that database. On error nothing is left open.
func projectionSetup(ctx context.Context, sync string) (*benchDB, *benchNATS, Load, error) {
	db, err := newBenchDB(ctx)
	if err != nil {
		return nil, nil, Load{}, err
	}
	n, err := newBenchNATS(sync)
	if err != nil {
		db.Close()
		return nil, nil, Load{}, err
	}
	base, err := batchedUpsertCeiling(ctx, db)
	if err == nil {
		_, err = events.EnsureStream(ctx, n.JS, 1)
	}
	if err != nil {
		n.Close()
		db.Close()
		return nil, nil, Load{}, err
	}
	return db, n, base, nil
}
