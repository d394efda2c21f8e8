package app

import (
	"context"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
)

// Propagation is what a change that can make bot calls fail waits on
// before it answers: every process serving bot calls has applied it, so the
// very next call in any of them meets it. The bot API's directory is one.
type Propagation interface {
	AwaitApplied(ctx context.Context, position uint64) error
}

// propagated waits until what res appended is applied wherever bot calls
// are served, unless nothing was appended or only new chatbots and keys
// (which calls find without it).
func propagated(ctx context.Context, p Propagation, res eventstore.Appended) error {
	if p == nil || res.Position == 0 || !narrows(res.Envelopes) {
		return nil
	}
	return p.AwaitApplied(ctx, res.Position)
}

func narrows(envs []events.Envelope) bool {
	for _, env := range envs {
		if env.Type != events.ApiKeyIssued && env.Type != events.ChatbotCreated {
			return true
		}
	}
	return false
}
