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
	"errors"
	"fmt"
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

// entry is one counter cut for a flush, under its dedup id. A failed entry
// is sent again as it is, under the same id, so that a publish the stream
// stored without the acknowledgement reaching us counts once.
type entry struct {
	bucket
	tally
	msgID string
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

// Flush stores what is counted. It first sends again what a failed flush
// left (under the same ids); only once that is stored does it cut the
// counters into a new flush, so at most one flush's worth waits in memory
// besides the counters. On failure nothing is forgotten: the next Flush
// tries again.
func (r *Recorder) Flush(ctx context.Context) error {
	r.flushMu.Lock()
	defer r.flushMu.Unlock()
	if n := r.dropped.Swap(0); n > 0 {
		r.opts.Logger.Warn("usage: calls with ids that are not UUIDs were not counted", "calls", n)
	}
	if err := r.sendPending(ctx); err != nil {
		return err
	}
	r.cut()
	return r.sendPending(ctx)
}

// cut moves the counters into pending entries with the ids of a new flush.
func (r *Recorder) cut() {
	r.mu.Lock()
	counts := r.counts
	if len(counts) == 0 {
		r.mu.Unlock()
		return
	}
	r.counts = make(map[bucket]*tally, len(counts))
	r.mu.Unlock()
	r.seq++
	for b, t := range counts {
		r.pending = append(r.pending, entry{bucket: b, tally: *t, msgID: r.msgID(b)})
	}
}

// msgID is unique per recorder instance, flush and counter.
func (r *Recorder) msgID(b bucket) string {
	return fmt.Sprintf("usage/%s/%d/%s/%s/%s/%d", r.opts.Instance, r.seq, b.tenant, b.chatbot, b.key, b.hour)
}

// sendPending stores the pending entries, a few at a time (each waits for
// the stream's fsync), keeping those that failed.
func (r *Recorder) sendPending(ctx context.Context) error {
	if len(r.pending) == 0 {
		return nil
	}
	start := time.Now()
	var (
		mu     sync.Mutex
		failed []entry
		errs   []error
		wg     sync.WaitGroup
		slots  = make(chan struct{}, r.opts.Concurrency)
	)
	for _, e := range r.pending {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			err := ctx.Err()
			if err == nil {
				err = r.send(ctx, e)
			}
			if err == nil {
				r.opts.Metrics.flushed(e.requests)
				return
			}
			mu.Lock()
			failed = append(failed, e)
			errs = append(errs, err)
			mu.Unlock()
		}()
	}
	wg.Wait()
	r.pending = failed
	r.opts.Metrics.flushDone(time.Since(start), r.pendingRequests())
	if len(failed) > 0 {
		return fmt.Errorf("usage: %d counters not stored, kept for the next flush: %w", len(failed), errors.Join(errs[:min(len(errs), 3)]...))
	}
	return nil
}

// send appends the entry's UsageRecorded to its key's aggregate; the key
// is the event's actor.
func (r *Recorder) send(ctx context.Context, e entry) error {
	ref := eventstore.Ref{Tenant: e.tenant, Type: events.AggregateUsage, ID: e.key}
	ctx = events.WithActor(ctx, events.APIKeyActor(e.key))
	_, err := r.app.Record(ctx, ref, e.msgID, events.Event{Type: events.UsageRecorded, Data: events.UsageRecordedData{
		ChatbotID: e.chatbot, APIKeyID: e.key, Hour: time.Unix(e.hour, 0).UTC(),
		Requests: e.requests, Units: e.units, LastUsedAt: e.lastUsed,
	}})
	return err
}

// pendingRequests is how many calls wait in pending entries.
func (r *Recorder) pendingRequests() int64 {
	var n int64
	for _, e := range r.pending {
		n += e.requests
	}
	return n
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

// Start runs the flush loop in the background until Close.
func (r *Recorder) Start() {
	r.stop, r.done = make(chan struct{}), make(chan struct{})
	go r.run()
}

func (r *Recorder) run() {
	defer close(r.done)
	t := time.NewTicker(r.opts.Interval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), r.opts.FlushTimeout)
		err := r.Flush(ctx)
		cancel()
		// Log the change of state, not every failing second of an outage.
		switch {
		case err != nil && !failing:
			r.opts.Logger.Warn("usage flush failed; retrying every interval", "err", err)
		case err == nil && failing:
			r.opts.Logger.Info("usage flush recovered")
		}
		failing = err != nil
	}
}

// Close stops the flush loop and flushes what remains, trying again until
// it is stored or ctx ends. Call it after the API stopped taking calls:
// calls recorded after Close are not flushed. What it could not store is
// lost; the error says how many calls.
func (r *Recorder) Close(ctx context.Context) error {
	if r.stop != nil {
		close(r.stop)
		<-r.done
		r.stop = nil
	}
	delay := 50 * time.Millisecond
	for {
		err := r.flushBounded(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			n := r.Unflushed()
			r.opts.Logger.Error("usage not recorded at shutdown", "calls", n, "err", err)
			return fmt.Errorf("%d calls not recorded: %w", n, err)
		case <-time.After(delay):
			delay = min(delay*2, time.Second)
		}
	}
}

// flushBounded is one flush attempt bounded by FlushTimeout within ctx.
func (r *Recorder) flushBounded(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, r.opts.FlushTimeout)
	defer cancel()
	return r.Flush(ctx)
}
