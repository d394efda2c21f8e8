package app

import (
	"context"

	"github.com/chatbotsaas/chatbot/command/domain/chatbot"
	"github.com/chatbotsaas/chatbot/command/domain/company"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// DefaultSettings are a new chatbot's when it is given none.
var DefaultSettings = events.ChatbotSettings{
	Greeting: "Hello! How can I help?", FallbackReply: "Sorry, I did not understand that.", Replies: []events.KeywordReply{},
}

// CreateChatbotCmd is a new chatbot of a company; nil settings take the defaults.
type CreateChatbotCmd struct {
	CompanyID, Name, Description string
	Settings                     *events.ChatbotSettings
}

// CreateChatbot makes a chatbot in an existing company.
type CreateChatbot struct{ Store *eventstore.Store }

// Handle creates the chatbot.
func (h CreateChatbot) Handle(ctx context.Context, cmd CreateChatbotCmd) (ChatbotAt, error) {
	if err := h.companyExists(ctx, cmd.CompanyID); err != nil {
		return ChatbotAt{}, err
	}
	s := DefaultSettings
	if cmd.Settings != nil {
		s = *cmd.Settings
	}
	after, res, err := eventstore.Create(ctx, h.Store, ChatbotRef(cmd.CompanyID, newID(ctx)), func(b *chatbot.Chatbot) (*chatbot.Chatbot, []events.Event, error) {
		evs, err := b.Create(cmd.Name, cmd.Description, s)
		return b, evs, err
	})
	if err != nil {
		return ChatbotAt{}, err
	}
	return ChatbotAt{Chatbot: *after, Position: res.Position}, nil
}

// companyExists answers 404 for a company that was never registered. A
// company, once registered, stays so: the state this process already
// knows says so without a read from the stream.
func (h CreateChatbot) companyExists(ctx context.Context, companyID string) error {
	ref := companyRef(companyID)
	var co company.Company
	if h.Store.Known(ref, &co) && co.Exists() {
		return nil
	}
	co = company.Company{}
	if _, err := h.Store.Load(ctx, ref, &co); err != nil {
		return err
	}
	if !co.Exists() {
		return apperr.NotFound("company")
	}
	return nil
}
