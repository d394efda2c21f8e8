package auth

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
)

// Revocations is a process's view of revoked sessions and users, fed by the
// event stream, so an access token stops working everywhere within moments
// of a logout, a disable, a deletion, a role change or a company's
// suspension, long before it expires.
type Revocations struct {
	mu       sync.RWMutex
	sessions map[string]time.Time      // session id → when the record may be forgotten
	users    map[string]userRevocation // user id → tokens issued before are refused
	// company id → its users' tokens issued before are refused
	companies map[string]time.Time
	horizon   func() time.Duration // the access-token lifetime in force
	now       func() time.Time
}

type userRevocation struct {
	before time.Time
	except string // a session spared (the one that changed the password)
}

// NewRevocations makes an empty view; records are kept as long as an
// access token issued before them could live.
func NewRevocations(accessTTL func() time.Duration, now func() time.Time) *Revocations {
	return &Revocations{sessions: map[string]time.Time{}, users: map[string]userRevocation{}, companies: map[string]time.Time{},
		horizon: accessTTL, now: now}
}

// Allowed reports whether a token of p issued at issued is still good.
func (r *Revocations) Allowed(p Principal, issued time.Time) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if _, revoked := r.sessions[p.SessionID]; revoked {
		return false
	}
	if u, ok := r.users[p.UserID]; ok && issued.Before(u.before) && p.SessionID != u.except {
		return false
	}
	if at, ok := r.companies[p.CompanyID]; ok && p.CompanyID != "" && issued.Before(at) {
		return false
	}
	return true
}

// revocationTypes are the events the view follows.
var revocationTypes = []string{
	events.SessionRevoked, events.RefreshTokenReuseDetected, events.UserSessionsRevoked,
	events.UserDisabled, events.UserDeleted, events.UserRoleChanged, events.CompanySuspended,
}

// Apply records what env revokes, if anything.
func (r *Revocations) Apply(env events.Envelope) {
	r.mu.Lock()
	defer r.mu.Unlock()
	keep := env.OccurredAt.Add(r.horizon() + time.Minute)
	switch env.Type {
	case events.SessionRevoked, events.RefreshTokenReuseDetected:
		r.sessions[strings.Clone(env.AggregateID)] = keep
	case events.UserSessionsRevoked:
		data, err := events.Default.Decode(&env)
		if d, ok := data.(*events.UserSessionsRevokedData); ok && err == nil {
			r.revokeUser(env.AggregateID, userRevocation{before: d.Before, except: d.ExceptSessionID})
		}
	case events.UserDisabled, events.UserDeleted, events.UserRoleChanged:
		r.revokeUser(env.AggregateID, userRevocation{before: env.OccurredAt})
	case events.CompanySuspended:
		if at, ok := r.companies[env.AggregateID]; !ok || env.OccurredAt.After(at) {
			r.companies[strings.Clone(env.AggregateID)] = env.OccurredAt
		}
	}
}

// The ids are copied: the map outlives the envelope, whose strings may be
// views of a buffer its maker reuses (a request's path).
func (r *Revocations) revokeUser(id string, rev userRevocation) {
	if old, ok := r.users[id]; ok && old.before.After(rev.before) {
		return
	}
	rev.except = strings.Clone(rev.except)
	r.users[strings.Clone(id)] = rev
}

// forget drops records no live token can be affected by.
func (r *Revocations) forget() {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	for id, until := range r.sessions {
		if now.After(until) {
			delete(r.sessions, id)
		}
	}
	for id, u := range r.users {
		if now.After(u.before.Add(r.horizon() + time.Minute)) {
			delete(r.users, id)
		}
	}
	for id, at := range r.companies {
		if now.After(at.Add(r.horizon() + time.Minute)) {
			delete(r.companies, id)
		}
	}
}

// Follow replays the revocations of the last access-token lifetime, then
// keeps applying new ones until ctx ends. It returns once the replay is
// done, so a process can serve only with a complete view.
func (r *Revocations) Follow(ctx context.Context, js jetstream.JetStream, log *slog.Logger) error {
	subjects := make([]string, len(revocationTypes))
	for i, t := range revocationTypes {
		subjects[i] = events.TypeFilter(t)
	}
	start := r.now().Add(-r.horizon() - time.Minute)
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: subjects, DeliverPolicy: jetstream.DeliverByStartTimePolicy, OptStartTime: &start}
	if err := events.Follow(ctx, js, cfg, "revocation view", 30*time.Second, func(env events.Envelope) error {
		r.Apply(env)
		return nil
	}, log); err != nil {
		return err
	}
	go func() {
		t := time.NewTicker(time.Minute)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				r.forget()
			}
		}
	}()
	return nil
}
