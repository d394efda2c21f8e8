package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/projector"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// AdminProjections serves POST /v1/admin/projections/{name}/rebuild.
type AdminProjections struct {
	Store       *eventstore.Store
	Pool        *pgxpool.Pool
	Projections []projector.Projection
}

type rebuildInput struct {
	Name string `path:"name" maxLength:"64" doc:"the projection's name, as GET /v1/admin/projections lists it"`
}

type rebuildOutput struct {
	EventPosition
	Status int
}

// Register adds the route.
func (a *AdminProjections) Register(api huma.API) {
	huma.Register(api, auth.Require(huma.Operation{
		OperationID: "rebuild-projection", Method: http.MethodPost, Path: "/v1/admin/projections/{name}/rebuild",
		Tags: []string{"Admin"}, DefaultStatus: http.StatusAccepted,
		Summary:     "Rebuild a read model from the stream",
		Description: "The projection's active process replays the whole stream into a copy of its tables while the live read model keeps serving and following new events, then swaps them in one short transaction. Follow it with GET /v1/admin/projections. Asking again while a rebuild is pending or running changes nothing.",
	}, auth.PermProjectionsRebuild), a.rebuild)
}

// requestLog is the aggregate of a projection's rebuild requests: the
// record of who asked when, in the audit log.
type requestLog struct{}

func (*requestLog) Apply(events.Envelope, any) {}

func (a *AdminProjections) rebuild(ctx context.Context, in *rebuildInput) (*rebuildOutput, error) {
	known := false
	for _, p := range a.Projections {
		known = known || p.Name == in.Name
	}
	if !known {
		return nil, apperr.NotFound("projection")
	}
	ref := eventstore.Ref{Tenant: events.PlatformTenant, Type: events.AggregateProjection, ID: in.Name}
	res, err := eventstore.Update(ctx, a.Store, ref, func(*requestLog) ([]events.Event, error) {
		return []events.Event{{Type: events.ProjectionRebuildRequested,
			Data: events.ProjectionRebuildRequestedData{Projection: in.Name}}}, nil
	})
	if err != nil {
		return nil, err
	}
	if err := projector.RequestRebuild(ctx, a.Pool, in.Name, a.Projections); err != nil {
		if errors.Is(err, projector.ErrUnknownProjection) {
			return nil, apperr.NotFound("projection")
		}
		return nil, err
	}
	return &rebuildOutput{EventPosition: EventPosition{EventPosition: res.Position}, Status: http.StatusAccepted}, nil
}
