package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
)

// benchEvent is a ~300-byte event, the size PERFORMANCE.md measures with.
type benchEvent struct {
	Name string `json:"name"`
	Note string `json:"note"`
}

type benchAgg struct{ N int }

func (a *benchAgg) Apply(events.Envelope, any) { a.N++ }

const benchType = "BenchHappened"

func benchRegistry() *events.Registry {
	reg := events.NewRegistry()
	events.Register[benchEvent](reg, benchType, 1, "a benchmark event")
	return reg
}

var benchPayload = benchEvent{Name: "bench", Note: strings.Repeat("x", 200)}

// benchAppend compares appending through the event store (Update: load
// from the in-process cache, decide, append with the per-aggregate
// concurrency check) with a raw JetStream publish carrying the same check,
// both with sync_interval always, one aggregate per worker.
func benchAppend(cfg runConfig) (Result, error) {
	n, err := newBenchNATS("always")
	if err != nil {
		return Result{}, err
	}
	defer n.Close()
	ctx := context.Background()
	store, err := eventstore.Open(ctx, n.JS, eventstore.Options{Registry: benchRegistry()})
	if err != nil {
		return Result{}, err
	}
	workers := 16

	// Ceiling: raw publish with the expected-last-sequence-per-subject header.
	body, _ := json.Marshal(events.Envelope{ID: uuid.NewString(), Type: benchType, Version: 1, TenantID: "t",
		AggregateType: "raw", AggregateID: "x", Actor: events.System, Data: mustJSON(benchPayload)})
	last := make([]uint64, workers)
	rawOp := func(w int) bool {
		subject := fmt.Sprintf("events.t.raw.%d.%s", w, benchType)
		msg := nats.NewMsg(subject)
		msg.Data = body
		msg.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(last[w], 10))
		msg.Header.Set(jetstream.ExpectedLastSubjSeqSubjHeader, fmt.Sprintf("events.t.raw.%d.>", w))
		ack, err := n.JS.PublishMsg(ctx, msg)
		if err != nil {
			return false
		}
		last[w] = ack.Sequence
		return true
	}
	closedLoopFn(workers, time.Second, rawOp)
	base := closedLoopFn(workers, cfg.duration, rawOp)

	refs := make([]eventstore.Ref, workers)
	for i := range refs {
		refs[i] = eventstore.Ref{Tenant: "t", Type: "bench", ID: uuid.NewString()}
	}
	storeOp := func(w int) bool {
		_, _, err := eventstore.Update(ctx, store, refs[w], eventstore.EventsOnly(func(*benchAgg) ([]events.Event, error) {
			return []events.Event{{Type: benchType, Data: benchPayload}}, nil
		}))
		return err == nil
	}
	closedLoopFn(workers, time.Second, storeOp)
	load := closedLoopFn(workers, cfg.duration, storeOp)
	return Result{
		Name: "append through the event store", Ceiling: "JetStream sync publish with expected subject sequence",
		Target: 0.4, Ratio: load.Rate / base.Rate, Load: load, Base: base,
		Note: fmt.Sprintf("%d workers, one aggregate each, sync_interval always; the store adds a direct get of the aggregate's last sequence and the envelope", workers),
	}, nil
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}
