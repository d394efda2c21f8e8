package usage

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
)

// entry is one counter cut for a flush, under its dedup id. A failed entry
// is sent again as it is, under the same id, so that a publish the stream
// stored without the acknowledgement reaching us counts once.
type entry struct {
	bucket
	tally
	msgID string
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
