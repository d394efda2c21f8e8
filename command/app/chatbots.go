package app

import (
	"context"
	"crypto/rand"
	"time"

	"github.com/chatbotsaas/chatbot/command/domain/chatbot"
	"github.com/chatbotsaas/chatbot/command/domain/company"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// Chatbots are the commands on a company's chatbots and their API keys.
type Chatbots struct {
	store *eventstore.Store
	now   func() time.Time
	// Propagation, when set, is waited on by every change that can make
	// bot calls fail.
	Propagation Propagation
}

// NewChatbots builds the chatbot commands.
func NewChatbots(store *eventstore.Store, now func() time.Time) *Chatbots {
	if now == nil {
		now = time.Now
	}
	return &Chatbots{store: store, now: now}
}

// ChatbotRef is where a chatbot's events are.
func ChatbotRef(companyID, chatbotID string) eventstore.Ref {
	return eventstore.Ref{Tenant: companyID, Type: events.AggregateChatbot, ID: chatbotID}
}

// DefaultSettings are a new chatbot's when it is given none.
var DefaultSettings = events.ChatbotSettings{
	Greeting: "Hello! How can I help?", FallbackReply: "Sorry, I did not understand that.", Replies: []events.KeywordReply{},
}

// Create makes a chatbot in an existing company.
func (c *Chatbots) Create(ctx context.Context, companyID, name, description string, settings *events.ChatbotSettings) (chatbot.Chatbot, uint64, error) {
	if err := c.companyExists(ctx, companyID); err != nil {
		return chatbot.Chatbot{}, 0, err
	}
	s := DefaultSettings
	if settings != nil {
		s = *settings
	}
	after, res, err := eventstore.Create(ctx, c.store, ChatbotRef(companyID, newID(ctx)), func(b *chatbot.Chatbot) (*chatbot.Chatbot, []events.Event, error) {
		evs, err := b.Create(name, description, s)
		return b, evs, err
	})
	if err != nil {
		return chatbot.Chatbot{}, 0, err
	}
	return *after, res.Position, nil
}

// companyExists answers 404 for a company that was never registered. A
// company, once registered, stays so: the state this process already
// knows says so without a read from the stream.
func (c *Chatbots) companyExists(ctx context.Context, companyID string) error {
	ref := companyRef(companyID)
	var co company.Company
	if c.store.Known(ref, &co) && co.Exists() {
		return nil
	}
	co = company.Company{}
	if _, err := c.store.Load(ctx, ref, &co); err != nil {
		return err
	}
	if !co.Exists() {
		return apperr.NotFound("company")
	}
	return nil
}

// Update changes a chatbot's name, description, settings or status.
func (c *Chatbots) Update(ctx context.Context, companyID, chatbotID string, p chatbot.Patch) (chatbot.Chatbot, uint64, error) {
	return c.existing(ctx, companyID, chatbotID, func(b *chatbot.Chatbot) ([]events.Event, error) { return b.Update(p) })
}

// Delete deletes a chatbot; its keys stop working at once.
func (c *Chatbots) Delete(ctx context.Context, companyID, chatbotID string) (uint64, error) {
	_, pos, err := c.existing(ctx, companyID, chatbotID, func(b *chatbot.Chatbot) ([]events.Event, error) { return b.Delete() })
	return pos, err
}

// SetLimits replaces a chatbot's own limits.
func (c *Chatbots) SetLimits(ctx context.Context, companyID, chatbotID string, l events.Limits) (chatbot.Chatbot, uint64, error) {
	return c.existing(ctx, companyID, chatbotID, func(b *chatbot.Chatbot) ([]events.Event, error) { return b.SetLimits(l) })
}

// IssuedKey is a new key: Secret is the whole key, shown once.
type IssuedKey struct {
	chatbot.Key
	Secret string
}

// IssueKey makes an API key for the chatbot, with its own limits if lim
// sets any. The key is "cbk_" and 43 base62 characters (256 random bits);
// only its SHA-256 is kept.
func (c *Chatbots) IssueKey(ctx context.Context, companyID, chatbotID, name string, expiresAt *time.Time, lim events.Limits) (IssuedKey, uint64, error) {
	secret, err := NewAPIKey()
	if err != nil {
		return IssuedKey{}, 0, err
	}
	// Random even under an Idempotency-Key: a retry makes a new secret,
	// so it must not pass for the key a killed attempt stored.
	keyID := events.RandomID()
	b, pos, err := c.existing(ctx, companyID, chatbotID, func(b *chatbot.Chatbot) ([]events.Event, error) {
		return b.IssueKeyWithLimits(c.now(), keyID, name, chatbot.HashKey(secret), secret[:8], secret[len(secret)-4:], expiresAt, lim)
	})
	if err != nil {
		return IssuedKey{}, 0, err
	}
	k, _ := b.Key(keyID)
	return IssuedKey{Key: k, Secret: secret}, pos, nil
}

// RevokeKey stops a key in every process.
func (c *Chatbots) RevokeKey(ctx context.Context, companyID, chatbotID, keyID string) (uint64, error) {
	_, pos, err := c.existing(ctx, companyID, chatbotID, func(b *chatbot.Chatbot) ([]events.Event, error) { return b.RevokeKey(keyID) })
	return pos, err
}

func (c *Chatbots) existing(ctx context.Context, companyID, chatbotID string, decide func(*chatbot.Chatbot) ([]events.Event, error)) (chatbot.Chatbot, uint64, error) {
	if !events.ValidToken(companyID) || !events.ValidToken(chatbotID) {
		return chatbot.Chatbot{}, 0, apperr.NotFound("chatbot")
	}
	return c.update(ctx, ChatbotRef(companyID, chatbotID), func(b *chatbot.Chatbot) ([]events.Event, error) {
		if !b.Exists() {
			return nil, apperr.NotFound("chatbot")
		}
		return decide(b)
	})
}

func (c *Chatbots) update(ctx context.Context, ref eventstore.Ref, decide func(*chatbot.Chatbot) ([]events.Event, error)) (chatbot.Chatbot, uint64, error) {
	// The decision hands its chatbot back: the store folds what it
	// appended into it, so it is the chatbot after the command.
	after, res, err := eventstore.Update(ctx, c.store, ref, func(b *chatbot.Chatbot) (*chatbot.Chatbot, []events.Event, error) {
		evs, err := decide(b)
		return b, evs, err
	})
	if err != nil {
		return chatbot.Chatbot{}, 0, err
	}
	if err := propagated(ctx, c.Propagation, res); err != nil {
		return chatbot.Chatbot{}, 0, err
	}
	return *after, res.Position, nil
}

// NewAPIKey returns "cbk_" and 256 random bits in base62 (43 characters).
func NewAPIKey() (string, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	return chatbot.FormatKey(raw), nil
}
