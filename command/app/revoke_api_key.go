package app

import (
	"context"

	"github.com/chatbotsaas/chatbot/command/domain/chatbot"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
)

// RevokeAPIKeyCmd names a key of a chatbot.
type RevokeAPIKeyCmd struct {
	ChatbotCmd
	KeyID string
}

// RevokeAPIKey stops a key in every process.
type RevokeAPIKey struct {
	Store       *eventstore.Store
	Propagation Propagation // waited on by a change that can make bot calls fail; nil waits for nothing
}

// Handle revokes the key and answers the position of its revocation.
func (h RevokeAPIKey) Handle(ctx context.Context, cmd RevokeAPIKeyCmd) (uint64, error) {
	at, err := changeChatbot(ctx, h.Store, h.Propagation, cmd.ChatbotCmd, func(b *chatbot.Chatbot) ([]events.Event, error) { return b.RevokeKey(cmd.KeyID) })
	return at.Position, err
}
