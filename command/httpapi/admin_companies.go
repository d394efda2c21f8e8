package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/chatbotsaas/chatbot/command/app"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// AdminCompanies serves PATCH /v1/admin/companies/{id}.
type AdminCompanies struct {
	Commands *app.Commands
}

type patchCompanyInput struct {
	ID   string `path:"id" format:"uuid"`
	Body struct {
		Status *string   `json:"status,omitempty" enum:"active,suspended" doc:"suspended: its users cannot log in, their tokens and its API keys stop working"`
		Plan   *planBody `json:"plan,omitempty" doc:"replaces the plan: its limits of each chatbot and of the whole company"`
	}
}

type planBody struct {
	Name   string      `json:"name" minLength:"1" maxLength:"40" pattern:"^[a-z0-9][a-z0-9_-]*$" doc:"the plan's name, such as free, pro or enterprise"`
	Limits *limitsBody `json:"limits,omitempty" doc:"each chatbot's limits: the default of a chatbot without its own, and the most a chatbot or key limit allows; a missing or null one is the platform's default_limits"`
	// The company-wide limits count every call of the company's chatbots
	// and keys together.
	CompanyLimits *limitsBody `json:"company_limits,omitempty" doc:"the whole company's limits, counted across all its chatbots and keys; a missing or null one is no company-wide limit"`
}

type limitsBody struct {
	RequestsPerMinute *perMinute       `json:"requests_per_minute,omitempty"`
	DailyRequests     *dailyRequests   `json:"daily_requests,omitempty"`
	MonthlyRequests   *monthlyRequests `json:"monthly_requests,omitempty"`
}

type companyOutput struct {
	EventPosition
	Body struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		Status string `json:"status"`
		Plan   struct {
			Name          string        `json:"name"`
			Limits        events.Limits `json:"limits"`
			CompanyLimits events.Limits `json:"company_limits"`
		} `json:"plan"`
	}
}

// Register adds the route.
func (a *AdminCompanies) Register(api huma.API) {
	huma.Register(api, auth.Require(huma.Operation{
		OperationID: "update-company-admin", Method: http.MethodPatch, Path: "/v1/admin/companies/{id}", Tags: []string{"Admin"},
		Summary: "Suspend or reactivate a company, or change its plan",
	}, auth.PermCompaniesWrite), a.patch)
}

func (a *AdminCompanies) patch(ctx context.Context, in *patchCompanyInput) (*companyOutput, error) {
	patch := app.CompanyPatch{Status: in.Body.Status}
	if p := in.Body.Plan; p != nil {
		patch.Plan = &app.PlanPatch{Name: p.Name}
		if l := p.Limits; l != nil {
			patch.Plan.Limits = limitsOf(l.RequestsPerMinute, l.DailyRequests, l.MonthlyRequests)
		}
		if l := p.CompanyLimits; l != nil {
			patch.Plan.CompanyLimits = limitsOf(l.RequestsPerMinute, l.DailyRequests, l.MonthlyRequests)
		}
	}
	patch.CompanyID = in.ID
	at, err := a.Commands.PatchCompany.Handle(ctx, patch)
	if err != nil {
		return nil, err
	}
	c, pos := at.Company, at.Position
	out := &companyOutput{EventPosition: EventPosition{EventPosition: pos}}
	out.Body.ID, out.Body.Name, out.Body.Status = c.ID, c.Name, c.Status
	out.Body.Plan.Name, out.Body.Plan.Limits, out.Body.Plan.CompanyLimits = c.Plan, c.Limits, c.CompanyLimits
	return out, nil
}
