package query

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/auth"
	"github.com/chatbotsaas/chatbot/shared/policy"
)

func (s *Side) registerAdminConfig(api huma.API) {
	tags := []string{"Admin"}
	huma.Register(api, auth.Require(huma.Operation{
		OperationID: "get-config", Method: http.MethodGet, Path: "/v1/admin/config", Tags: tags,
		Summary: "The platform configuration in force in this process",
	}, auth.PermConfigRead), func(_ context.Context, in *Revalidate) (*readOutput[events.PlatformConfig], error) {
		return answerValue(*in, policy.ToConfig(s.deps.Policy.Get()))
	})
	huma.Register(api, auth.Require(huma.Operation{
		OperationID: "list-roles", Method: http.MethodGet, Path: "/v1/admin/roles", Tags: tags,
		Summary: "Roles and their permissions",
	}, auth.PermRolesRead), func(_ context.Context, in *Revalidate) (*readOutput[[]auth.Role], error) {
		return answerValue(*in, auth.Roles)
	})
}
