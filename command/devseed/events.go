// Package devseed fills an empty event stream fast, for measuring a
// deployment at scale: it publishes the events the commands would have
// appended, asynchronously and without the per-aggregate checks, which only
// an empty stream makes safe.
package devseed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
)

// EventsOptions say how many events of the mix to append.
type EventsOptions struct {
	Events  int  // in all
	Tenants int  // companies they are spread over
	Force   bool // seed a stream that holds events already
}

// EventsSeeded is what was appended.
type EventsSeeded struct {
	Events   int
	Position uint64 // of the last one
	Took     time.Duration
}

// ErrStreamNotEmpty refuses to seed a stream that holds events already: the
// seeded aggregates skip the store's concurrency checks.
var ErrStreamNotEmpty = errors.New("the event stream is not empty (seed only a fresh one, or force it)")

// eventsInFlight bounds the publishes awaiting their acknowledgement.
const eventsInFlight = 4096

// Events appends o.Events events of a product's usual mix: per company
// its registration, users that register and log in (sessions started,
// refreshed, some failed logins), chatbots with API keys, and above all the
// usage their calls record. Personal fields are stored in clear.
func Events(ctx context.Context, js jetstream.JetStream, o EventsOptions) (EventsSeeded, error) {
	if o.Events < 1 || o.Tenants < 1 {
		return EventsSeeded{}, errors.New("at least one event and one tenant")
	}
	stream, err := js.Stream(ctx, events.StreamName)
	if err != nil {
		return EventsSeeded{}, err
	}
	if n := stream.CachedInfo().State.Msgs; n > 0 && !o.Force {
		return EventsSeeded{}, fmt.Errorf("%w: %d messages", ErrStreamNotEmpty, n)
	}
	began := time.Now()
	m := &mix{pub: &asyncPublisher{js: js}, rnd: rand.New(rand.NewPCG(1, 2)), versions: map[string]int64{},
		tenants: make([]tenantState, o.Tenants), at: began.UTC().Add(-time.Duration(o.Events) * time.Millisecond)}
	for i := range m.tenants {
		m.tenants[i].id = uuid.NewString()
		m.emit(ctx, &m.tenants[i], events.AggregateCompany, m.tenants[i].id, events.CompanyRegistered,
			events.CompanyRegisteredData{Name: fmt.Sprintf("Seeded company %d", i)})
	}
	for m.pub.n < o.Events && m.pub.err == nil {
		m.step(ctx, &m.tenants[m.rnd.IntN(len(m.tenants))], o.Events-m.pub.n)
	}
	if err := m.pub.wait(ctx); err != nil {
		return EventsSeeded{}, err
	}
	return EventsSeeded{Events: m.pub.n, Position: m.pub.last, Took: time.Since(began)}, nil
}

type tenantState struct {
	id       string
	users    []string
	sessions []string
	keys     [][2]string // chatbot, key
}

// mix makes up the events, one aggregate version after the other.
type mix struct {
	pub      *asyncPublisher
	rnd      *rand.Rand
	versions map[string]int64
	tenants  []tenantState
	at       time.Time
}

// step appends one thing that happens in tenant t: one or two events, at
// most room.
func (m *mix) step(ctx context.Context, t *tenantState, room int) {
	roll := m.rnd.IntN(100)
	switch {
	case len(t.users) == 0 || roll < 5:
		id := uuid.NewString()
		t.users = append(t.users, id)
		m.emit(ctx, t, events.AggregateUser, id, events.UserRegistered, events.UserRegisteredData{CompanyID: t.id,
			Email: id[:8] + "@example.com", Name: "User " + id[:8], Role: "user"})
	case (len(t.keys) == 0 || roll < 10) && room >= 2:
		bot, key := uuid.NewString(), uuid.NewString()
		t.keys = append(t.keys, [2]string{bot, key})
		m.emit(ctx, t, events.AggregateChatbot, bot, events.ChatbotCreated, events.ChatbotCreatedData{Name: "Bot " + bot[:8],
			Settings: events.ChatbotSettings{Greeting: "Hello!", FallbackReply: "Sorry, I did not get that."}})
		m.emit(ctx, t, events.AggregateChatbot, bot, events.ApiKeyIssued, events.ApiKeyIssuedData{KeyID: key, Name: "default",
			KeyHash: uuid.NewString(), Prefix: key[:8], Last4: key[len(key)-4:]})
	case roll < 25 && room >= 2:
		user, session := t.users[m.rnd.IntN(len(t.users))], uuid.NewString()
		t.sessions = append(t.sessions, session)
		m.emit(ctx, t, events.AggregateUser, user, events.LoginSucceeded, events.LoginSucceededData{SessionID: session,
			IP: "192.0.2.10", UserAgent: "seed/1"})
		m.emit(ctx, t, events.AggregateSession, session, events.SessionStarted, events.SessionStartedData{UserID: user,
			Role: "user", TokenHash: uuid.NewString(), ExpiresAt: m.at.Add(90 * 24 * time.Hour), IP: "192.0.2.10",
			UserAgent: "seed/1", IdleExpiry: 30 * 24 * 3600})
	case roll < 35 && len(t.sessions) > 0:
		m.emit(ctx, t, events.AggregateSession, t.sessions[m.rnd.IntN(len(t.sessions))], events.RefreshTokenRotated,
			events.RefreshTokenRotatedData{TokenHash: uuid.NewString(), PreviousHash: uuid.NewString(), IdleTTLSeconds: 30 * 24 * 3600})
	case roll < 40:
		m.emit(ctx, t, events.AggregateUser, t.users[m.rnd.IntN(len(t.users))], events.LoginFailed,
			events.LoginFailedData{Reason: events.ReasonWrongPassword, Counted: true, IP: "192.0.2.66", UserAgent: "seed/1"})
	default:
		if len(t.keys) == 0 {
			return
		}
		k := t.keys[m.rnd.IntN(len(t.keys))]
		hour := m.at.Truncate(time.Hour)
		m.emit(ctx, t, events.AggregateUsage, k[1], events.UsageRecorded, events.UsageRecordedData{ChatbotID: k[0],
			APIKeyID: k[1], Hour: hour, Requests: int64(1 + m.rnd.IntN(50)), Units: int64(m.rnd.IntN(5000)), LastUsedAt: m.at})
	}
}

func (m *mix) emit(ctx context.Context, t *tenantState, aggType, aggID, typ string, data any) {
	m.versions[aggID]++
	m.at = m.at.Add(time.Millisecond)
	m.pub.add(ctx, t.id, aggType, aggID, m.versions[aggID], m.at, typ, data)
}

// asyncPublisher appends envelopes asynchronously, a bounded number at a
// time.
type asyncPublisher struct {
	js      jetstream.JetStream
	pending []jetstream.PubAckFuture
	n       int
	last    uint64
	err     error
}

func (p *asyncPublisher) add(ctx context.Context, tenant, aggType, aggID string, version int64, at time.Time, typ string, data any) {
	if p.err != nil {
		return
	}
	raw, err := json.Marshal(data)
	if err != nil {
		p.err = err
		return
	}
	env := events.Envelope{ID: uuid.NewString(), Type: typ, Version: events.Default.Version(typ), OccurredAt: at,
		TenantID: tenant, AggregateType: aggType, AggregateID: aggID, AggregateVersion: version, Actor: events.System, Data: raw}
	body, err := env.Marshal()
	if err != nil {
		p.err = err
		return
	}
	msg := nats.NewMsg(env.Subject())
	msg.Data = body
	msg.Header.Set(jetstream.MsgIDHeader, env.ID)
	f, err := p.js.PublishMsgAsync(msg, jetstream.WithStallWait(30*time.Second))
	if err != nil {
		p.err = err
		return
	}
	p.pending = append(p.pending, f)
	p.n++
	if len(p.pending) == eventsInFlight {
		p.err = p.wait(ctx)
	}
}

// wait blocks until every publish so far is acknowledged.
func (p *asyncPublisher) wait(ctx context.Context) error {
	if p.err != nil {
		return p.err
	}
	for _, f := range p.pending {
		select {
		case ack := <-f.Ok():
			p.last = max(p.last, ack.Sequence)
		case err := <-f.Err():
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	p.pending = p.pending[:0]
	return nil
}
