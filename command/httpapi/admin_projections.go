package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/chatbotsaas/chatbot/command/app"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// AdminProjections serves POST /v1/admin/projections/{name}/rebuild.
type AdminProjections struct {
	Commands *app.Commands
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
		Description: "Appends ProjectionRebuildRequested. The projection's active process replays the whole stream into a copy of its tables while the live read model keeps serving and following new events, then swaps them in one short transaction. Follow it with GET /v1/admin/projections. A request made while a rebuild runs is served by that rebuild.",
	}, auth.PermProjectionsRebuild), a.rebuild)
}

func (a *AdminProjections) rebuild(ctx context.Context, in *rebuildInput) (*rebuildOutput, error) {
	pos, err := a.Commands.RequestRebuild.Handle(ctx, app.RebuildCmd{Projection: in.Name})
	if err != nil {
		return nil, err
	}
	return &rebuildOutput{EventPosition: EventPosition{EventPosition: pos}, Status: http.StatusAccepted}, nil
}
