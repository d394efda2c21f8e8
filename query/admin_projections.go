package query

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/chatbotsaas/chatbot/readmodel"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

func (s *Side) registerAdminProjections(api huma.API) {
	huma.Register(api, auth.Require(huma.Operation{
		OperationID: "list-projections", Method: http.MethodGet, Path: "/v1/admin/projections", Tags: []string{"Admin"},
		Summary:     "Every read model's progress",
		Description: "For each projection: the stream position its read model reflects, the stream's last position, the lag between them, its state (running, stopped, rebuild_requested, rebuilding), open dead letters, and its last rebuild.",
	}, auth.PermProjectionsRead), s.listProjections)
}

func (s *Side) listProjections(ctx context.Context, in *Revalidate) (*readOutput[[]readmodel.Status], error) {
	statuses, err := s.deps.Progress.Statuses(ctx)
	if err != nil {
		return nil, err
	}
	return answerValue(*in, statuses)
}
