package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/chatbotsaas/chatbot/command/devseed"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/projector"
)

// benchRebuild replays a seeded history (the product's mix of events)
// into the audit log, the projection every event reaches, as chatbotd
// replay does: COPY into a bare copy, indexes after, then the swap. It is
// compared with the batched Postgres ceiling measured in the same run.
func benchRebuild(cfg runConfig) (Result, error) {
	ctx := context.Background()
	// Synced every two minutes: seeding a million events at every-write
	// fsync would take longer than the replay measured.
	db, n, base, err := projectionSetup(ctx, "2m")
	if err != nil {
		return Result{}, err
	}
	defer db.Close()
	defer n.Close()
	seeded, err := devseed.Events(ctx, n.JS, devseed.EventsOptions{Events: cfg.rebuildEvents, Tenants: 100})
	if err != nil {
		return Result{}, err
	}
	log.Printf("  seeded %d events in %v", seeded.Events, seeded.Took.Round(time.Millisecond))
	request, err := publishRebuildRequest(ctx, n, "event_log")
	if err != nil {
		return Result{}, err
	}
	runner := projector.New(projector.Deps{Pool: db.Pool, JS: n.JS, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
		[]projector.Projection{projector.EventLog()}, projector.Options{})
	var last time.Time
	start := time.Now()
	stats, err := runner.Rebuild(ctx, "event_log", request, func(done, total uint64) {
		if time.Since(last) > 5*time.Second {
			last = time.Now()
			rate := float64(done) / time.Since(start).Seconds()
			log.Printf("  rebuild: %d/%d events, %.0f/s", done, total, rate)
		}
	})
	if err != nil {
		return Result{}, err
	}
	elapsed := time.Since(start)
	batches := slices.Clone(stats.Batches)
	slices.Sort(batches)
	load := Load{Requests: int(stats.Events), Rate: float64(stats.Events) / elapsed.Seconds(),
		P50ms: pct(batches, 0.50), P99ms: pct(batches, 0.99), P999ms: pct(batches, 0.999)}
	return Result{
		Name: "rebuild (replay) of the audit log", Ceiling: "Postgres: 500 upserts + checkpoint per transaction (pgx batch)",
		Target: 0.5, Ratio: load.Rate / base.Rate, Load: load, Base: base,
		Note: fmt.Sprintf("%d events of the seeded mix replayed in %v (index build and swap included); "+
			"latencies are of one batch of up to 5,000 events loaded by COPY", stats.Events, elapsed.Round(time.Millisecond)),
	}, nil
}

// publishRebuildRequest appends what chatbotd replay appends to ask.
func publishRebuildRequest(ctx context.Context, n *benchNATS, name string) (uint64, error) {
	env := events.Envelope{ID: uuid.NewString(), Type: events.ProjectionRebuildRequested, Version: 1, OccurredAt: time.Now().UTC(),
		TenantID: events.PlatformTenant, AggregateType: events.AggregateProjection, AggregateID: name, AggregateVersion: 1,
		Actor: events.System, Data: []byte(`{"projection":"` + name + `"}`)}
	body, err := env.Marshal()
	if err != nil {
		return 0, err
	}
	ack, err := n.JS.Publish(ctx, env.Subject(), body)
	if err != nil {
		return 0, err
	}
	return ack.Sequence, nil
}
