// Package usage counts the accepted calls of the metered bot API and
// records them in the event stream as UsageRecorded events.
//
// A call must not wait for the stream: Record only adds to counters in
// memory, one per (company, chatbot, API key, hour). A flush every
// interval (1 s by default) appends one event per counter with what it
// holds, so the stream syncs to disk once per key and hour per interval,
// not once per call. A clean shutdown flushes what remains; a crash loses
// at most the calls of the last interval.
package usage

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
)

// Appender stores usage events without a version check, under the
// caller's dedup id: *eventstore.Store.
type Appender interface {
	Record(ctx context.Context, ref eventstore.Ref, msgID string, evs ...events.Event) (eventstore.Appended, error)
}

// Options tunes a Recorder; zero values take the defaults.
type Options struct {
	Interval     time.Duration // between flushes; default 1s
	FlushTimeout time.Duration // bound of one flush; default 5s
	Concurrency  int           // appends in flight during a flush; default 16
	// Instance names this recorder in dedup ids; default a fresh UUID, so
	// that two processes (or a restarted one) never share an id.
	Instance string
	Logger   *slog.Logger
	Metrics  *Metrics // optional
}

// bucket is what one counter counts: the calls of one key in one hour.
type bucket struct {
	tenant, chatbot, key string
	hour                 int64 // Unix seconds of the hour's start, UTC
}

// tally is what a counter holds.
type tally struct {
	requests, units int64
	lastUsed        time.Time
}

// Recorder counts calls and records them in the stream.
type Recorder struct {
	app  Appender
	opts Options

	mu      sync.Mutex
	counts  map[bucket]*tally // calls since the last cut
	dropped atomic.Int64      // calls refused for invalid ids since the last flush

	flushMu sync.Mutex // one flush at a time; guards pending and seq
	pending []entry    // cut but not yet stored
	seq     uint64     // flushes cut so far

	stop chan struct{}
	done chan struct{}
}

// New builds a recorder; Start runs its flush loop.
func New(app Appender, o Options) *Recorder {
	if o.Interval <= 0 {
		o.Interval = time.Second
	}
	if o.FlushTimeout <= 0 {
		o.FlushTimeout = 5 * time.Second
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 16
	}
	if o.Instance == "" {
		o.Instance = uuid.NewString()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Recorder{app: app, opts: o, counts: map[bucket]*tally{}}
}

// Record counts one accepted call of the key at time at, with its units.
// It does no I/O. Ids that are not UUIDs are refused (counted in the
// metrics and logged at the next flush), as they could not be stored;
// negative units count as 0.
func (r *Recorder) Record(tenant, chatbotID, apiKeyID string, units int64, at time.Time) {
	if uuid.Validate(tenant) != nil || uuid.Validate(chatbotID) != nil || uuid.Validate(apiKeyID) != nil {
		r.dropped.Add(1)
		r.opts.Metrics.droppedCall()
		return
	}
	units = max(units, 0)
	at = at.UTC()
	b := bucket{tenant: tenant, chatbot: chatbotID, key: apiKeyID, hour: at.Truncate(time.Hour).Unix()}
	r.mu.Lock()
	t := r.counts[b]
	if t == nil {
		t = &tally{}
		r.counts[b] = t
	}
	t.requests++
	t.units += units
	if at.After(t.lastUsed) {
		t.lastUsed = at
	}
	r.mu.Unlock()
	r.opts.Metrics.recorded(units)
}

// Unflushed is how many counted calls are not stored yet.
func (r *Recorder) Unflushed() int64 {
	r.mu.Lock()
	var n int64
	for _, t := range r.counts {
		n += t.requests
	}
	r.mu.Unlock()
	r.flushMu.Lock()
	n += r.pendingRequests()
	r.flushMu.Unlock()
	return n
}
