package app

import (
	"context"
	"time"

	"github.com/chatbotsaas/chatbot/command/domain/chatbot"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
)

// IssueAPIKeyCmd asks for a new key of a chatbot.
type IssueAPIKeyCmd struct {
	ChatbotCmd
	Name      string
	ExpiresAt *time.Time
	Limits    events.Limits // the key's own; none: the chatbot's alone
}

// IssuedKey is a new key: Secret is the whole key, shown once.
type IssuedKey struct {
	chatbot.Key
	Secret   string
	Position uint64
}

// IssueAPIKey makes an API key for the chatbot, with its own limits if the
// command sets any. The key is "cbk_" and 43 base62 characters (256 random
// bits); only its SHA-256 is kept.
type IssueAPIKey struct {
	Store       *eventstore.Store
	Propagation Propagation // a new key needs none: calls find it without it
	Now         func() time.Time
}

// Handle issues the key.
func (h IssueAPIKey) Handle(ctx context.Context, cmd IssueAPIKeyCmd) (IssuedKey, error) {
	secret, err := NewAPIKey()
	if err != nil {
		return IssuedKey{}, err
	}
	// Random even under an Idempotency-Key: a retry makes a new secret,
	// so it must not pass for the key a killed attempt stored.
	keyID := events.RandomID()
	at, err := changeChatbot(ctx, h.Store, h.Propagation, cmd.ChatbotCmd, func(b *chatbot.Chatbot) ([]events.Event, error) {
		return b.IssueKeyWithLimits(h.Now(), keyID, cmd.Name, chatbot.HashKey(secret), secret[:8], secret[len(secret)-4:], cmd.ExpiresAt, cmd.Limits)
	})
	if err != nil {
		return IssuedKey{}, err
	}
	k, _ := at.Chatbot.Key(keyID)
	return IssuedKey{Key: k, Secret: secret, Position: at.Position}, nil
}
