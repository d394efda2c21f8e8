package app

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/projector"
	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// requestLog is the aggregate of a projection's rebuild requests: the
// record of who asked when, in the audit log.
type requestLog struct{}

func (*requestLog) Apply(events.Envelope, any) {}

// RequestRebuild asks for the projection to be rebuilt from the stream:
// ProjectionRebuildRequested records who asked, and the projection's row
// tells its leader. It answers the event's position.
func RequestRebuild(ctx context.Context, store *eventstore.Store, pool *pgxpool.Pool, name string) (uint64, error) {
	known := projector.All()
	found := false
	for _, p := range known {
		found = found || p.Name == name
	}
	if !found {
		return 0, apperr.NotFound("projection")
	}
	ref := eventstore.Ref{Tenant: events.PlatformTenant, Type: events.AggregateProjection, ID: name}
	res, err := eventstore.Update(ctx, store, ref, func(*requestLog) ([]events.Event, error) {
		return []events.Event{{Type: events.ProjectionRebuildRequested,
			Data: events.ProjectionRebuildRequestedData{Projection: name}}}, nil
	})
	if err != nil {
		return 0, err
	}
	if err := projector.RequestRebuild(ctx, pool, name, known); err != nil {
		if errors.Is(err, projector.ErrUnknownProjection) {
			return 0, apperr.NotFound("projection")
		}
		return 0, err
	}
	return res.Position, nil
}
