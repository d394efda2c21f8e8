package app

import (
	"context"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/projector"
	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// requestLog is the aggregate of a projection's rebuild requests: the
// record of who asked when, in the audit log.
type requestLog struct{}

func (*requestLog) Apply(events.Envelope, any) {}

// RequestRebuild asks for the projection to be rebuilt from the stream by
// appending ProjectionRebuildRequested, which records who asked and which
// the projection's leader follows. It answers the event's position.
func RequestRebuild(ctx context.Context, store *eventstore.Store, name string) (uint64, error) {
	if _, ok := projector.Lookup(name); !ok {
		return 0, apperr.NotFound("projection")
	}
	ref := eventstore.Ref{Tenant: events.PlatformTenant, Type: events.AggregateProjection, ID: name}
	_, res, err := eventstore.Update(ctx, store, ref, eventstore.EventsOnly(func(*requestLog) ([]events.Event, error) {
		return []events.Event{{Type: events.ProjectionRebuildRequested,
			Data: events.ProjectionRebuildRequestedData{Projection: name}}}, nil
	}))
	if err != nil {
		return 0, err
	}
	return res.Position, nil
}
