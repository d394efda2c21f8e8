package query

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/chatbotsaas/chatbot/projector"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

type projectionsOutput struct {
	Body []projector.Status
}

func (s *Side) registerAdminProjections(api huma.API) {
	huma.Register(api, auth.Require(huma.Operation{
		OperationID: "list-projections", Method: http.MethodGet, Path: "/v1/admin/projections", Tags: []string{"Admin"},
		Summary:     "Every read model's progress",
		Description: "For each projection: the stream position its read model reflects, the stream's last position, the lag between them, its state (running, stopped, rebuild_requested, rebuilding), open dead letters, and its last rebuild.",
	}, auth.PermProjectionsRead), s.listProjections)
}

func (s *Side) listProjections(ctx context.Context, _ *struct{}) (*projectionsOutput, error) {
	statuses, err := s.deps.Progress.Statuses(ctx)
	if err != nil {
		return nil, err
	}
	return &projectionsOutput{Body: statuses}, nil
}
