package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/projector"
)

// ProjectionCost is what one projection stores in Postgres per event of
// the stream, over a measured run of the mix.
type ProjectionCost struct {
	Name          string  `json:"name"`
	RowsPerEvent  float64 `json:"rows_per_event"`
	BytesPerEvent float64 `json:"bytes_per_event" doc:"pg_total_relation_size growth: heap, indexes, TOAST"`
}

// tableSizes are the row count and total size of every projection's tables.
func (r *clusterRig) tableSizes(ctx context.Context) (map[string][2]float64, error) {
	sizes := map[string][2]float64{}
	for _, p := range projector.All() {
		for _, t := range p.Tables {
			var rows, bytes int64
			q := "SELECT (SELECT count(*) FROM " + pgx.Identifier{t}.Sanitize() + "), pg_total_relation_size($1::regclass)"
			if err := r.db.Pool.QueryRow(ctx, q, t).Scan(&rows, &bytes); err != nil {
				return nil, fmt.Errorf("size of %s: %w", t, err)
			}
			sizes[t] = [2]float64{float64(rows), float64(bytes)}
		}
	}
	return sizes, nil
}

// projectionCosts divides each projection's growth between two sizings by
// the events appended between them.
func projectionCosts(before, after map[string][2]float64, events float64) []ProjectionCost {
	var out []ProjectionCost
	for _, p := range projector.All() {
		c := ProjectionCost{Name: p.Name}
		for _, t := range p.Tables {
			c.RowsPerEvent += (after[t][0] - before[t][0]) / events
			c.BytesPerEvent += (after[t][1] - before[t][1]) / events
		}
		out = append(out, c)
	}
	return out
}

// appendCeiling is a closed loop of raw publishes, each with the expected
// last sequence of its worker's subject as the event store sends, to an
// R3 stream of its own on the cluster: what one replicated stream takes
// on this host.
func (r *clusterRig) appendCeiling(ctx context.Context, workers int, d time.Duration) (Load, error) {
	const name = "BENCH_R3_CEILING"
	if _, err := r.js.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{"bench.r3.>"},
		Storage: jetstream.FileStorage, Replicas: 3}); err != nil {
		return Load{}, err
	}
	defer func() { _ = r.js.DeleteStream(context.Background(), name) }()
	body := []byte(`{"id":"` + uuid.NewString() + `","type":"ChatbotCreated","data":{"name":"Bench","description":"` + fmt.Sprintf("%0100d", 0) + `"}}`)
	last := make([]uint64, workers)
	l := closedLoopFn(workers, d, func(w int) bool {
		subject := fmt.Sprintf("bench.r3.%d.created", w)
		msg := nats.NewMsg(subject)
		msg.Data = body
		msg.Header.Set(jetstream.MsgIDHeader, uuid.NewString())
		msg.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(last[w], 10))
		ack, err := r.js.PublishMsg(ctx, msg)
		if err != nil {
			return false
		}
		last[w] = ack.Sequence
		return true
	})
	return l, nil
}
