package readmodel

import (
	"container/heap"
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/chatbotsaas/chatbot/events"
)

// Follower keeps, in memory, how far every projection is, from the
// announcements of the processes that run them, and lets reads wait for a
// position. A waiting read costs no I/O: it sleeps until an announcement
// moves its projection or its bound passes.
type Follower struct {
	sub *nats.Subscription
	log *slog.Logger

	mu    sync.Mutex
	marks map[string]*mark
	parts map[string][]string // a partitioned projection's partitions, by number
}

// mark is one projection's progress and the reads waiting for more.
type mark struct {
	through    uint64
	checkpoint uint64 // the highest announced
	waiting    waiters
}

// Follow subscribes to the announcements and asks the leaders for their
// current state, so a new process does not wait for the next periodic one.
func Follow(nc *nats.Conn, log *slog.Logger) (*Follower, error) {
	if log == nil {
		log = slog.Default()
	}
	f := &Follower{log: log, marks: map[string]*mark{}, parts: map[string][]string{}}
	sub, err := nc.Subscribe(StateSubject, f.receive)
	if err != nil {
		return nil, err
	}
	f.sub = sub
	// A subscription is registered with the server once flushed; asking
	// before that could miss the answers.
	if err := nc.Flush(); err != nil {
		_ = sub.Unsubscribe()
		return nil, err
	}
	if err := nc.Publish(AskSubject, nil); err != nil {
		_ = sub.Unsubscribe()
		return nil, err
	}
	return f, nil
}

// Close stops following.
func (f *Follower) Close() {
	if f != nil && f.sub != nil {
		_ = f.sub.Unsubscribe()
	}
}

func (f *Follower) receive(m *nats.Msg) {
	a, err := DecodeAnnouncement(m.Data)
	if err != nil {
		f.log.Warn("unreadable projection progress ignored", "err", err)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, mk := range a.Marks {
		e := f.entry(mk.Projection)
		e.checkpoint = max(e.checkpoint, mk.Checkpoint)
		// Marks only move forward: an older or a slower leader's
		// announcement arriving late cannot take one back.
		if through := max(mk.Through, mk.Checkpoint); through > e.through {
			e.through = through
			e.waiting.wakeThrough(through)
		}
		if mk.Of != "" {
			f.partitionMoved(mk)
		}
	}
}

// partitionMoved keeps the mark of a partitioned projection as a whole:
// it is through what all of its partitions are through. Lock held.
func (f *Follower) partitionMoved(mk Mark) {
	names := f.parts[mk.Of]
	if len(names) != mk.Partitions {
		names = make([]string, mk.Partitions) // first heard, or partitioned anew
		f.parts[mk.Of] = names
	}
	if mk.Partition < 0 || mk.Partition >= len(names) {
		return
	}
	names[mk.Partition] = mk.Projection
	low := uint64(0)
	for i, n := range names {
		if n == "" {
			return // not every partition heard of yet
		}
		if t := f.entry(n).through; i == 0 || t < low {
			low = t
		}
	}
	if e := f.entry(mk.Of); low > e.through {
		e.through = low
		e.waiting.wakeThrough(low)
	}
}

// ForTenant is what a read of tenant's rows in projection name waits for:
// the tenant's partition if name is partitioned, else name.
func (f *Follower) ForTenant(tenant, name string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	names := f.parts[name]
	if len(names) == 0 {
		return name
	}
	if n := names[events.TenantPartition(tenant, len(names))]; n != "" {
		return n
	}
	return name
}

// needs are the checkpoint rows, and how far each must be, of a copy of
// the read models (a replica) that reflects projection name through n,
// given that the primary is: its row must show the checkpoint announced,
// or n if lower. A partitioned projection needs each partition's row.
func (f *Follower) needs(name string, n uint64) map[string]uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	rows := []string{name}
	if parts := f.parts[name]; len(parts) > 0 {
		rows = parts
	}
	out := make(map[string]uint64, len(rows))
	for _, row := range rows {
		out[row] = min(n, f.entry(row).checkpoint)
	}
	return out
}

// Checkpoint is the highest checkpoint announced for projection name.
func (f *Follower) Checkpoint(name string) uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.entry(name).checkpoint
}

// entry is the mark of name, made on first use. Lock held.
func (f *Follower) entry(name string) *mark {
	e, ok := f.marks[name]
	if !ok {
		e = &mark{}
		f.marks[name] = e
	}
	return e
}

// Through is how far projection name is known to be.
func (f *Follower) Through(name string) uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.entry(name).through
}

// Wait returns once every named projection is through position n, or
// ErrLagging when bound passes first. The bound is one timer started on
// entry, so the 503 leaves when it is due whatever the projections do.
func (f *Follower) Wait(ctx context.Context, n uint64, bound time.Duration, names ...string) error {
	if n == 0 {
		return nil
	}
	deadline := time.Now().Add(bound)
	var timer *time.Timer
	for _, name := range names {
		w := f.await(name, n)
		if w == nil {
			continue
		}
		if timer == nil {
			timer = time.NewTimer(time.Until(deadline))
			defer timer.Stop()
		}
		select {
		case <-w.ready:
			continue
		case <-timer.C:
			f.abandon(name, w)
			return ErrLagging()
		case <-ctx.Done():
			f.abandon(name, w)
			return ctx.Err()
		}
	}
	return nil
}

// await queues a waiter for projection name to be through n, or returns
// nil if it already is.
func (f *Follower) await(name string, n uint64) *waiter {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.entry(name)
	if e.through >= n {
		return nil
	}
	w := &waiter{n: n, ready: make(chan struct{})}
	heap.Push(&e.waiting, w)
	return w
}

// abandon forgets a waiter whose read gave up, so a stopped projector
// does not pile up the reads it failed.
func (f *Follower) abandon(name string, w *waiter) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.entry(name).waiting.drop(w)
}
