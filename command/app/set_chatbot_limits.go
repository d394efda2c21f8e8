package app

import (
	"context"

	"github.com/chatbotsaas/chatbot/command/domain/chatbot"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
)

// SetChatbotLimitsCmd replaces a chatbot's own limits.
type SetChatbotLimitsCmd struct {
	ChatbotCmd
	Limits events.Limits
}

// SetChatbotLimits replaces a chatbot's own limits.
type SetChatbotLimits struct {
	Store       *eventstore.Store
	Propagation Propagation // waited on by a change that can make bot calls fail; nil waits for nothing
}

// Handle sets the limits.
func (h SetChatbotLimits) Handle(ctx context.Context, cmd SetChatbotLimitsCmd) (ChatbotAt, error) {
	return changeChatbot(ctx, h.Store, h.Propagation, cmd.ChatbotCmd, func(b *chatbot.Chatbot) ([]events.Event, error) { return b.SetLimits(cmd.Limits) })
}
