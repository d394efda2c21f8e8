// Package bot is the metered bot API: POST /v1/bot/messages, authenticated
// by a chatbot's API key, rate-limited and counted.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
)

// The directory is this process's live view of what the bot API needs on
// every call: keys by hash, chatbots (status, settings, limits) and
// companies (status, plan limits). It follows the stream from its start
// with an ordered consumer, so a call costs no database round trip; every
// process sees a change within milliseconds, and Fresh makes a call wait until its chatbot's last event
// is in: a revoked key is refused on the very next call, in every process.

// Key is what the directory knows of an API key.
type Key struct {
	ID        string
	ChatbotID string
	Tenant    string
	ExpiresAt *time.Time
	Revoked   bool
}

// Chatbot is what a call needs of its chatbot.
type Chatbot struct {
	ID       string
	Tenant   string
	Status   string // active, paused, deleted
	Settings events.ChatbotSettings
	Limits   events.Limits
}

// Company is what a call needs of its company.
type Company struct {
	Suspended bool
	Limits    events.Limits // the plan's; nil: the platform default
}

// Directory is safe for concurrent use.
type Directory struct {
	mu        sync.RWMutex
	keys      map[string]*Key     // by SHA-256 of the key
	bots      map[string]*Chatbot // by chatbot id
	companies map[string]*Company // by company id
	applied   map[string]uint64   // by chatbot id: stream position of its last event applied
	position  uint64              // of the last event applied
	stream    jetstream.Stream
}

// NewDirectory returns an empty directory.
func NewDirectory() *Directory {
	return &Directory{keys: map[string]*Key{}, bots: map[string]*Chatbot{}, companies: map[string]*Company{}, applied: map[string]uint64{}}
}

// filters are the subjects the directory follows.
func filters() []string {
	return []string{
		events.SubjectPrefix + ".*." + events.AggregateChatbot + ".>",
		events.TypeFilter(events.CompanySuspended),
		events.TypeFilter(events.CompanyReactivated),
		events.TypeFilter(events.CompanyPlanChanged),
	}
}

// Follow applies every stored event it needs, then every new one, until
// ctx ends. It returns once the view is complete.
func (d *Directory) Follow(ctx context.Context, js jetstream.JetStream, log *slog.Logger) error {
	stream, err := js.Stream(ctx, events.StreamName)
	if err != nil {
		return err
	}
	d.stream = stream
	cfg := jetstream.OrderedConsumerConfig{FilterSubjects: filters(), DeliverPolicy: jetstream.DeliverAllPolicy}
	return events.Follow(ctx, js, cfg, "bot directory", time.Minute, func(env events.Envelope) error {
		err := d.Apply(env)
		d.mu.Lock()
		d.position = max(d.position, env.Position)
		d.mu.Unlock()
		return err
	}, log)
}

// Apply folds one event into the view, in stream order.
func (d *Directory) Apply(env events.Envelope) error {
	if env.AggregateType != events.AggregateChatbot && env.AggregateType != events.AggregateCompany {
		return nil
	}
	data, err := events.Default.Decode(&env)
	if err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if env.AggregateType == events.AggregateCompany {
		c := d.company(env.TenantID)
		switch v := data.(type) {
		case *events.CompanyStatusData:
			c.Suspended = env.Type == events.CompanySuspended
		case *events.CompanyPlanChangedData:
			c.Limits = v.Limits
		}
		return nil
	}
	bot := d.bots[env.AggregateID]
	if bot == nil {
		bot = &Chatbot{ID: env.AggregateID, Tenant: env.TenantID}
		d.bots[env.AggregateID] = bot
	}
	switch v := data.(type) {
	case *events.ChatbotCreatedData:
		bot.Status, bot.Settings = "active", v.Settings
	case *events.ChatbotUpdatedData:
		if v.Settings != nil {
			bot.Settings = *v.Settings
		}
	case *events.ChatbotStatusData:
		bot.Status = map[string]string{events.ChatbotPaused: "paused", events.ChatbotResumed: "active", events.ChatbotDeleted: "deleted"}[env.Type]
	case *events.ChatbotLimitsSetData:
		bot.Limits = v.Limits
	case *events.ApiKeyIssuedData:
		d.keys[v.KeyHash] = &Key{ID: v.KeyID, ChatbotID: env.AggregateID, Tenant: env.TenantID, ExpiresAt: v.ExpiresAt}
	case *events.ApiKeyRevokedData:
		for _, k := range d.keys {
			if k.ID == v.KeyID && k.ChatbotID == env.AggregateID {
				k.Revoked = true
			}
		}
	}
	if env.Position > d.applied[env.AggregateID] {
		d.applied[env.AggregateID] = env.Position
	}
	return nil
}

func (d *Directory) company(id string) *Company {
	c := d.companies[id]
	if c == nil {
		c = &Company{}
		d.companies[id] = c
	}
	return c
}

// Lookup finds a key by its hash, with its chatbot and company as they are
// now (copies).
func (d *Directory) Lookup(hash string) (Key, Chatbot, Company, bool) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	k, ok := d.keys[hash]
	if !ok {
		return Key{}, Chatbot{}, Company{}, false
	}
	bot := d.bots[k.ChatbotID]
	var c Company
	if co := d.companies[k.Tenant]; co != nil {
		c = *co
	}
	return *k, *bot, c, true
}

// Fresh waits until the view holds the chatbot's last stored event, so that
// a change made through any process counts from the next call on. It asks
// the stream for that position: one direct get.
func (d *Directory) Fresh(ctx context.Context, tenant, chatbotID string) error {
	return d.catchUp(ctx, events.AggregateFilter(tenant, events.AggregateChatbot, chatbotID), func() uint64 {
		d.mu.RLock()
		defer d.mu.RUnlock()
		return d.applied[chatbotID]
	})
}

// FreshKeys waits until the view holds the last key issued anywhere: a key
// it does not know may be one issued a moment ago through another process.
func (d *Directory) FreshKeys(ctx context.Context) error {
	return d.catchUp(ctx, events.TypeFilter(events.ApiKeyIssued), func() uint64 {
		d.mu.RLock()
		defer d.mu.RUnlock()
		return d.position
	})
}

// catchUp waits until at() reaches the last stored event on subject.
func (d *Directory) catchUp(ctx context.Context, subject string, at func() uint64) error {
	if d.stream == nil {
		return nil
	}
	msg, err := d.stream.GetLastMsgForSubject(ctx, subject)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("bot directory: %w", err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for pause := 100 * time.Microsecond; at() < msg.Sequence; pause = min(pause*2, 10*time.Millisecond) {
		if time.Now().After(deadline) {
			return errors.New("bot directory: lagging behind the stream")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
	}
	return nil
}
