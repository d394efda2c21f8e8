package app

import (
	"context"

	"github.com/chatbotsaas/chatbot/command/domain/chatbot"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// SetAPIKeyLimitsCmd replaces an API key's own limits.
type SetAPIKeyLimitsCmd struct {
	ChatbotCmd
	KeyID  string
	Limits events.Limits
}

// KeyAt is an API key after a command, and where its last event is.
type KeyAt struct {
	Key      chatbot.Key
	Position uint64
}

// SetAPIKeyLimits replaces an API key's own limits: a call with the key
// must pass them beside its chatbot's and its company's. They count from
// the key's next call, in every process.
type SetAPIKeyLimits struct {
	Store       *eventstore.Store
	Propagation Propagation // waited on by a change that can make bot calls fail; nil waits for nothing
}

// Handle sets the limits.
func (h SetAPIKeyLimits) Handle(ctx context.Context, cmd SetAPIKeyLimitsCmd) (KeyAt, error) {
	if !events.ValidToken(cmd.KeyID) {
		return KeyAt{}, apperr.NotFound("api key")
	}
	at, err := changeChatbot(ctx, h.Store, h.Propagation, cmd.ChatbotCmd, func(b *chatbot.Chatbot) ([]events.Event, error) {
		return b.SetKeyLimits(cmd.KeyID, cmd.Limits)
	})
	if err != nil {
		return KeyAt{}, err
	}
	k, _ := at.Chatbot.Key(cmd.KeyID)
	return KeyAt{Key: k, Position: at.Position}, nil
}
