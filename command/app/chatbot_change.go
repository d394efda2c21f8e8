package app

import (
	"context"
	"crypto/rand"

	"github.com/chatbotsaas/chatbot/command/domain/chatbot"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// ChatbotRef is where a chatbot's events are.
func ChatbotRef(companyID, chatbotID string) eventstore.Ref {
	return eventstore.Ref{Tenant: companyID, Type: events.AggregateChatbot, ID: chatbotID}
}

// ChatbotCmd names a chatbot of a company.
type ChatbotCmd struct{ CompanyID, ChatbotID string }

// ChatbotAt is a chatbot after a command, and where its last event is.
type ChatbotAt struct {
	Chatbot  chatbot.Chatbot
	Position uint64
}

// changeChatbot decides on an existing chatbot; any other is not found.
// The decision hands its chatbot back: the store folds what it appended
// into it, so the answer is the chatbot after the command.
// A change that can make bot calls fail waits on p before it answers.
func changeChatbot(ctx context.Context, store *eventstore.Store, p Propagation, c ChatbotCmd, decide func(*chatbot.Chatbot) ([]events.Event, error)) (ChatbotAt, error) {
	if !events.ValidToken(c.CompanyID) || !events.ValidToken(c.ChatbotID) {
		return ChatbotAt{}, apperr.NotFound("chatbot")
	}
	after, res, err := eventstore.Update(ctx, store, ChatbotRef(c.CompanyID, c.ChatbotID), func(b *chatbot.Chatbot) (*chatbot.Chatbot, []events.Event, error) {
		if !b.Exists() {
			return nil, nil, apperr.NotFound("chatbot")
		}
		evs, err := decide(b)
		return b, evs, err
	})
	if err != nil {
		return ChatbotAt{}, err
	}
	if err := propagated(ctx, p, res); err != nil {
		return ChatbotAt{}, err
	}
	return ChatbotAt{Chatbot: *after, Position: res.Position}, nil
}

// NewAPIKey returns "cbk_" and 256 random bits in base62 (43 characters).
func NewAPIKey() (string, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	return chatbot.FormatKey(raw), nil
}
