package app

import (
	"context"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// requestLog is the aggregate of a projection's rebuild requests: the
// record of who asked when, in the audit log.
type requestLog struct{}

func (*requestLog) Apply(events.Envelope, any) {}

// RebuildCmd names the projection to rebuild.
type RebuildCmd struct{ Projection string }

// RequestRebuild asks for the projection to be rebuilt from the stream by
// appending ProjectionRebuildRequested, which records who asked and which
// the projection's leader acts on. It answers the event's position.
type RequestRebuild struct {
	Store *eventstore.Store
	// Known tells the product's projections: the projector's list, the
	// one place their names are checked.
	Known func(name string) bool
}

// Handle appends the request.
func (h RequestRebuild) Handle(ctx context.Context, cmd RebuildCmd) (uint64, error) {
	if !h.Known(cmd.Projection) {
		return 0, apperr.NotFound("projection")
	}
	ref := eventstore.Ref{Tenant: events.PlatformTenant, Type: events.AggregateProjection, ID: cmd.Projection}
	_, res, err := eventstore.Update(ctx, h.Store, ref, eventstore.EventsOnly(func(*requestLog) ([]events.Event, error) {
		return []events.Event{{Type: events.ProjectionRebuildRequested,
			Data: events.ProjectionRebuildRequestedData{Projection: cmd.Projection}}}, nil
	}))
	if err != nil {
		return 0, err
	}
	return res.Position, nil
}
