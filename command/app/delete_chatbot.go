package app

import (
	"context"

	"github.com/chatbotsaas/chatbot/command/domain/chatbot"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
)

// DeleteChatbot deletes a chatbot; its keys stop working at once.
type DeleteChatbot struct {
	Store       *eventstore.Store
	Propagation Propagation // waited on by a change that can make bot calls fail; nil waits for nothing
}

// Handle deletes the chatbot and answers the position of its deletion.
func (h DeleteChatbot) Handle(ctx context.Context, cmd ChatbotCmd) (uint64, error) {
	at, err := changeChatbot(ctx, h.Store, h.Propagation, cmd, func(b *chatbot.Chatbot) ([]events.Event, error) { return b.Delete() })
	return at.Position, err
}
