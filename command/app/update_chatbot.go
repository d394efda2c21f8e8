package app

import (
	"context"

	"github.com/chatbotsaas/chatbot/command/domain/chatbot"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
)

// UpdateChatbotCmd changes a chatbot's name, description, settings or status.
type UpdateChatbotCmd struct {
	ChatbotCmd
	Patch chatbot.Patch
}

// UpdateChatbot changes a chatbot.
type UpdateChatbot struct {
	Store       *eventstore.Store
	Propagation Propagation // waited on by a change that can make bot calls fail; nil waits for nothing
}

// Handle applies the patch.
func (h UpdateChatbot) Handle(ctx context.Context, cmd UpdateChatbotCmd) (ChatbotAt, error) {
	return changeChatbot(ctx, h.Store, h.Propagation, cmd.ChatbotCmd, func(b *chatbot.Chatbot) ([]events.Event, error) { return b.Update(cmd.Patch) })
}
