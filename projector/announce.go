package projector

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/readmodel"
)

// announceEvery is the heartbeat of the announcements: it refreshes a
// reader that missed one (core NATS does not redeliver) and tells idle
// readers nothing is behind.
const announceEvery = time.Second

// announcer tells every reading process how far the projections this
// process leads are, on readmodel.StateSubject, after each commit and
// whenever the stream moves.
//
// How far a projection is must stay exact for filtered consumers: a
// projection whose types do not occur up to n is through n although its
// checkpoint is far below. The consumer's NumPending cannot say so: the
// server counts a new message towards its consumers' pending from another
// goroutine after the publish is acknowledged, so a consumer can report
// nothing pending while a write the client already holds is not counted
// yet. What is exact:
//   - a consumer's delivered stream sequence: the server moves it by
//     reading its store, so every event of the consumer's types at or below
//     it was delivered; with none awaiting an ack (acks follow commits)
//     and its ack floor equal to the checkpoint, all of them are applied.
//     That gives each projection a starting base.
//   - from there, one ordered consumer per process, headers only, sees
//     every event's sequence and subject in stream order, with no gap (it
//     restarts itself on one). For each projection it remembers the last
//     event its filter matches, by the server's own subject matching. A
//     projection whose applied checkpoint has reached that event is through
//     the feed's position; otherwise it is through its checkpoint.
//
// No reader asks Postgres or the JetStream API anything: the feed is one
// push subscription per projector process, whatever the number of reads.
type announcer struct {
	nc          *nats.Conn
	js          jetstream.JetStream
	log         *slog.Logger
	projections []Projection
	filters     [][]string // of each projection, in the same order
	byType      bool       // whether matching can be remembered by event type (see matching)
	every       time.Duration

	mu        sync.Mutex
	base      map[string]uint64 // through positions learnt at start
	feed      uint64            // the feed has seen every event up to here
	lastMatch map[string]uint64 // the last event of each projection's types the feed saw
	led       map[string]uint64 // applied checkpoint of each projection this process leads
	memo      map[string][]bool // matching by token count and event type
	none      []bool            // no projection matches
	sent      []readmodel.Mark
	wake      chan struct{}
	stop      func()
}

func newAnnouncer(js jetstream.JetStream, projections []Projection, log *slog.Logger) *announcer {
	filters := make([][]string, len(projections))
	for i, p := range projections {
		filters[i] = p.FilterSubjects()
	}
	return &announcer{nc: js.Conn(), js: js, log: log, projections: projections, filters: filters,
		byType: typeOnly(filters), memo: map[string][]bool{}, none: make([]bool, len(projections)), every: announceEvery,
		base: map[string]uint64{}, lastMatch: map[string]uint64{}, led: map[string]uint64{},
		wake: make(chan struct{}, 1)}
}

// start learns each projection's base and starts the feed just after the
// lowest; run then announces.
func (a *announcer) start(ctx context.Context, checkpoints map[string]uint64) error {
	low := uint64(0)
	for i, p := range a.projections {
		base := a.baseOf(ctx, p, checkpoints[p.Name])
		a.base[p.Name] = base
		if i == 0 || base < low {
			low = base
		}
	}
	a.feed = low
	// The whole stream, timers included, so that the feed's position is
	// the stream's: a position is through once the stream has reached it.
	cfg := jetstream.OrderedConsumerConfig{HeadersOnly: true,
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: low + 1}
	cons, err := a.js.OrderedConsumer(ctx, events.StreamName, cfg)
	if err != nil {
		return err
	}
	cc, err := cons.Consume(a.saw)
	if err != nil {
		return err
	}
	ask, err := a.nc.Subscribe(readmodel.AskSubject, func(*nats.Msg) { a.forceNext() })
	if err != nil {
		cc.Stop()
		return err
	}
	a.stop = func() {
		cc.Stop()
		_ = ask.Unsubscribe()
	}
	return nil
}

// baseOf is a position through which projection p is known to be applied:
// its checkpoint, or its consumer's delivered sequence when the consumer
// agrees with the checkpoint and awaits no ack (see announcer).
func (a *announcer) baseOf(ctx context.Context, p Projection, checkpoint uint64) uint64 {
	cons, err := a.js.Consumer(ctx, events.StreamName, p.Name)
	if err != nil {
		return checkpoint
	}
	info := cons.CachedInfo()
	if info.NumAckPending == 0 && info.AckFloor.Stream == checkpoint &&
		sameSubjects(info.Config.FilterSubjects, p.ConsumerSubjects()) {
		return max(checkpoint, info.Delivered.Stream)
	}
	return checkpoint
}

// lead, committed and unlead follow the projections this process applies.
func (a *announcer) lead(name string, checkpoint uint64) { a.setLed(name, checkpoint, true) }
func (a *announcer) committed(name string, last uint64)  { a.setLed(name, last, true) }
func (a *announcer) unlead(name string)                  { a.setLed(name, 0, false) }

// advanced moves the checkpoint of a projection this process leads, and
// of no other.
func (a *announcer) advanced(name string, checkpoint uint64) {
	if a == nil {
		return
	}
	a.mu.Lock()
	_, leads := a.led[name]
	a.mu.Unlock()
	if leads {
		a.setLed(name, checkpoint, true)
	}
}

func (a *announcer) setLed(name string, checkpoint uint64, leads bool) {
	if a == nil {
		return
	}
	a.mu.Lock()
	if leads {
		a.led[name] = max(a.led[name], checkpoint)
	} else {
		delete(a.led, name)
	}
	a.mu.Unlock()
	a.signal()
}

func (a *announcer) signal() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// forceNext makes the next announcement go out even if nothing moved.
func (a *announcer) forceNext() {
	a.mu.Lock()
	a.sent = nil
	a.mu.Unlock()
	a.signal()
}

// run announces until ctx ends.
func (a *announcer) run(ctx context.Context) {
	defer a.stop()
	tick := time.NewTicker(a.every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			a.forceNext()
		case <-a.wake:
			a.announce()
		}
	}
}

// announce publishes the marks of the led projections if they moved.
func (a *announcer) announce() {
	a.mu.Lock()
	marks := make([]readmodel.Mark, 0, len(a.led))
	for _, p := range a.projections {
		if c, ok := a.led[p.Name]; ok {
			mk := readmodel.Mark{Projection: p.Name, Checkpoint: c, Through: a.through(p.Name, c)}
			if p.part != nil {
				mk.Of, mk.Partition, mk.Partitions = p.Of(), p.part.index, p.part.count
			}
			marks = append(marks, mk)
		}
	}
	if a.sent != nil && slices.Equal(marks, a.sent) {
		a.mu.Unlock()
		return
	}
	a.sent = marks
	a.mu.Unlock()
	if len(marks) == 0 {
		return
	}
	if err := a.nc.Publish(readmodel.StateSubject, readmodel.Announcement{Marks: marks}.Encode()); err != nil {
		a.log.Warn("projection progress not announced", "err", err)
	}
}

// through is how far projection name is, given its applied checkpoint.
// Every event of its types at or below the feed's start is applied (the
// feed starts after the lowest base); those the feed saw since end at
// lastMatch. Lock held.
func (a *announcer) through(name string, checkpoint uint64) uint64 {
	known := max(checkpoint, a.base[name])
	if a.lastMatch[name] <= known {
		return max(known, a.feed)
	}
	return known
}
