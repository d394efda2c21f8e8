package app

import (
	"context"

	"github.com/chatbotsaas/chatbot/command/domain/chatbot"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// SetKeyLimits replaces an API key's own limits: a call with the key must
// pass them beside its chatbot's and its company's. They count from the
// key's next call, in every process.
func (c *Chatbots) SetKeyLimits(ctx context.Context, companyID, chatbotID, keyID string, l events.Limits) (chatbot.Key, uint64, error) {
	if !events.ValidToken(keyID) {
		return chatbot.Key{}, 0, apperr.NotFound("api key")
	}
	b, pos, err := c.existing(ctx, companyID, chatbotID, func(b *chatbot.Chatbot) ([]events.Event, error) { return b.SetKeyLimits(keyID, l) })
	if err != nil {
		return chatbot.Key{}, 0, err
	}
	k, _ := b.Key(keyID)
	return k, pos, nil
}
