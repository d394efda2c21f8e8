package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/chatbotsaas/chatbot/command/app"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// AdminCompanies serves PATCH /v1/admin/companies/{id}.
type AdminCompanies struct {
	Identity *app.Identity
}

type patchCompanyInput struct {
	ID   string `path:"id" format:"uuid"`
	Body struct {
		Status string `json:"status" enum:"active,suspended" doc:"suspended: its users cannot log in, their tokens and its API keys stop working"`
	}
}

type companyOutput struct {
	EventPosition
	Body struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		Status string `json:"status"`
	}
}

// Register adds the route.
func (a *AdminCompanies) Register(api huma.API) {
	huma.Register(api, auth.Require(huma.Operation{
		OperationID: "update-company-admin", Method: http.MethodPatch, Path: "/v1/admin/companies/{id}", Tags: []string{"Admin"},
		Summary: "Suspend or reactivate a company",
	}, auth.PermCompaniesWrite), a.patch)
}

func (a *AdminCompanies) patch(ctx context.Context, in *patchCompanyInput) (*companyOutput, error) {
	c, pos, err := a.Identity.SetCompanyStatus(ctx, in.ID, in.Body.Status)
	if err != nil {
		return nil, err
	}
	out := &companyOutput{EventPosition: EventPosition{EventPosition: pos}}
	out.Body.ID, out.Body.Name, out.Body.Status = c.ID, c.Name, c.Status
	return out, nil
}
