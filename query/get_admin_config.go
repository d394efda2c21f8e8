package query

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/auth"
	"github.com/chatbotsaas/chatbot/shared/policy"
)

type configOutput struct {
	Body events.PlatformConfig
}

type rolesOutput struct {
	Body []auth.Role
}

func (s *Side) registerAdminConfig(api huma.API) {
	tags := []string{"Admin"}
	huma.Register(api, auth.Require(huma.Operation{
		OperationID: "get-config", Method: http.MethodGet, Path: "/v1/admin/config", Tags: tags,
		Summary: "The platform configuration in force in this process",
	}, auth.PermConfigRead), func(context.Context, *struct{}) (*configOutput, error) {
		return &configOutput{Body: policy.ToConfig(s.deps.Policy.Get())}, nil
	})
	huma.Register(api, auth.Require(huma.Operation{
		OperationID: "list-roles", Method: http.MethodGet, Path: "/v1/admin/roles", Tags: tags,
		Summary: "Roles and their permissions",
	}, auth.PermRolesRead), func(context.Context, *struct{}) (*rolesOutput, error) {
		return &rolesOutput{Body: auth.Roles}, nil
	})
}
