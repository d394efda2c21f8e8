package bot

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/chatbotsaas/chatbot/events"
)

// Exactness without a read of the stream on every call rests on three
// rules, kept by every process that serves bot calls (a member):
//
//  1. A member announces, on AppliedSubject, the stream position through
//     which its directory has applied every event: whenever it moves, and
//     every beat.
//  2. A member serves bot calls only while its lease holds: it renews the
//     lease every beat by asking the stream for its last position and
//     applying every event up to it; the lease counts from when it asked and
//     lasts leaseFor. A member that cannot renew (a stalled process, a lost
//     connection, a follower behind) answers 503 until it has caught up.
//  3. A change that makes calls fail (a key revoked, a chatbot paused,
//     deleted or given lower limits, a company suspended or given a smaller
//     plan) answers only once every member heard within liveFor has
//     announced its position, or after confirmWithin at most.
//
// Why the change then counts from the very next call in every process:
// a member that has not applied the change by the time the change answers
// asked the stream last before the change was stored (any later ask would
// have shown the change, and it would have applied it to renew), so its
// lease ended before confirmWithin; a member not heard within liveFor
// stalled long enough ago that its lease ended already. A new member
// renews first only a beat after its first announcement, which the other
// members will have heard by then.
//
// AppliedSubject is core NATS: only chatbotd's service user may publish or
// subscribe to it.
const AppliedSubject = "directory.applied"

const (
	beat          = 250 * time.Millisecond
	leaseFor      = 1500 * time.Millisecond
	liveFor       = leaseFor + 2*beat
	confirmWithin = leaseFor + beat
)

// members follows the other members' announcements and makes this
// process's own.
type members struct {
	nc   *nats.Conn
	id   string
	self *applied
	log  *slog.Logger
	born time.Time
	sub  *nats.Subscription
	kick chan struct{} // announce now

	mu      sync.Mutex
	seen    map[string]heard
	since   time.Duration // when this process began listening
	unsure  time.Duration // when announcements may last have been lost
	changed chan struct{} // closed at the next announcement heard
}

type heard struct {
	position uint64
	when     time.Duration
}

func newMembers(nc *nats.Conn, self *applied, log *slog.Logger) *members {
	return &members{nc: nc, id: events.RandomID(), self: self, log: log, born: time.Now(), kick: make(chan struct{}, 1),
		seen: map[string]heard{}, unsure: -liveFor, changed: make(chan struct{})}
}

func (m *members) now() time.Duration { return time.Since(m.born) }

// start subscribes, makes the first announcement and announces until ctx
// ends.
func (m *members) start(ctx context.Context) error {
	sub, err := m.nc.Subscribe(AppliedSubject, m.receive)
	if err != nil {
		return err
	}
	m.sub = sub
	m.mu.Lock()
	m.since = m.now()
	m.mu.Unlock()
	m.announce()
	go m.run(ctx)
	return nil
}

// moved asks for an announcement of the new position.
func (m *members) moved() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

func (m *members) run(ctx context.Context) {
	tick := time.NewTicker(beat)
	defer tick.Stop()
	defer m.sub.Unsubscribe()
	reconnects, lost := m.nc.Stats().Reconnects, 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.kick:
		case <-tick.C:
			// Announcements dropped for a slow subscriber or missed while
			// disconnected: the members heard are not all there may be.
			dropped, _ := m.sub.Dropped()
			if r := m.nc.Stats().Reconnects; dropped != lost || r != reconnects {
				reconnects, lost = r, dropped
				m.mu.Lock()
				m.unsure = m.now()
				m.mu.Unlock()
			}
		}
		m.announce()
	}
}

func (m *members) announce() {
	_ = m.nc.Publish(AppliedSubject, []byte(m.id+" "+strconv.FormatUint(m.self.load(), 10)))
}

func (m *members) receive(msg *nats.Msg) {
	id, pos, ok := strings.Cut(string(msg.Data), " ")
	n, err := strconv.ParseUint(pos, 10, 64)
	if !ok || err != nil || id == "" {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seen[id] = heard{position: max(n, m.seen[id].position), when: m.now()}
	close(m.changed)
	m.changed = make(chan struct{})
}

// confirmed reports whether every member that may be serving has applied
// position, and else returns a channel closed at the next announcement.
func (m *members) confirmed(position uint64) (bool, <-chan struct{}) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if m.self.load() < position || now-m.since < liveFor || now-m.unsure < liveFor {
		return false, m.changed
	}
	for id, h := range m.seen {
		switch {
		case now-h.when > liveFor:
			delete(m.seen, id) // stopped long enough ago: its lease has ended
		case id != m.id && h.position < position:
			return false, m.changed
		}
	}
	return true, nil
}

// confirm waits until every member that may be serving has applied
// position, at most confirmWithin: a member that does not confirm by then
// serves no call until it has applied it.
func (m *members) confirm(position uint64) Confirmation {
	began := time.Now()
	deadline := time.NewTimer(confirmWithin)
	defer deadline.Stop()
	recheck := time.NewTicker(beat / 5) // the time-based conditions pass without an announcement
	defer recheck.Stop()
	for {
		ok, changed := m.confirmed(position)
		if ok {
			return Confirmation{Took: time.Since(began), All: true}
		}
		select {
		case <-changed:
		case <-recheck.C:
		case <-deadline.C:
			m.log.Warn("bot directory: not every process confirmed a change in time; those that did not serve no bot call until they have applied it",
				"position", position, "waited", time.Since(began).Round(time.Millisecond))
			return Confirmation{Took: time.Since(began)}
		}
	}
}

// Confirmation is how a wait for the members ended: All when every member
// confirmed, else after confirmWithin.
type Confirmation struct {
	Took time.Duration
	All  bool
}
