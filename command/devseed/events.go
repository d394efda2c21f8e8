package devseed

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
)

// EventsOptions say how many events of the mix to append.
type EventsOptions struct {
	Events  int  // in all
	Tenants int  // companies they are spread over
	Force   bool // seed a stream that holds events already
}

// Events appends o.Events events of a product's usual mix: per company
// its registration, users that register and log in (sessions started,
// refreshed, some failed logins), chatbots with API keys, and above all the
// usage their calls record. Personal fields are stored in clear.
func Events(ctx context.Context, js jetstream.JetStream, o EventsOptions) (Seeded, error) {
	if o.Events < 1 || o.Tenants < 1 {
		return Seeded{}, errors.New("at least one event and one tenant")
	}
	stream, err := js.Stream(ctx, events.StreamName)
	if err != nil {
		return Seeded{}, err
	}
	if n := stream.CachedInfo().State.Msgs; n > 0 && !o.Force {
		return Seeded{}, fmt.Errorf("%w: %d messages", ErrNotEmpty, n)
	}
	began := time.Now()
	m := &mix{pub: &publisher{js: js}, rnd: rand.New(rand.NewPCG(1, 2)), versions: map[string]int64{},
		tenants: make([]tenantState, o.Tenants), at: began.UTC().Add(-time.Duration(o.Events) * time.Millisecond)}
	for i := range m.tenants {
		m.tenants[i].id = uuid.NewString()
		m.emit(ctx, &m.tenants[i], events.AggregateCompany, m.tenants[i].id, events.CompanyRegistered,
			events.CompanyRegisteredData{Name: fmt.Sprintf("Seeded company %d", i)})
	}
	for m.pub.n < o.Events && m.pub.err == nil {
		m.step(ctx, &m.tenants[m.rnd.IntN(len(m.tenants))], o.Events-m.pub.n)
	}
	if m.pub.err != nil {
		return Seeded{}, m.pub.err
	}
	if err := m.pub.wait(ctx); err != nil {
		return Seeded{}, err
	}
	return Seeded{Events: m.pub.n, Position: m.pub.last, Took: time.Since(began)}, nil
}

type tenantState struct {
	id       string
	users    []string
	sessions []string
	keys     [][2]string // chatbot, key
}

// mix makes up the events, one aggregate version after the other.
type mix struct {
	pub      *publisher
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
	m.pub.add(ctx, t.id, aggType, aggID, m.versions[aggID], typ, data)
}
