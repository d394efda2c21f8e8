package query

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/jackc/pgx/v5"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/projector"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// Company is a company as the admin API shows it.
type Company struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Status    string    `json:"status" enum:"active,suspended"`
	Plan      Plan      `json:"plan"`
	CreatedAt time.Time `json:"created_at"`
}

// Plan is a company's plan: each chatbot's limits (null: the platform's
// default), the limits in force for its chatbots, and the company-wide
// limits counted across all its chatbots and keys.
type Plan struct {
	Name            string        `json:"name"`
	Limits          events.Limits `json:"limits"`
	EffectiveLimits events.Limits `json:"effective_limits" doc:"the plan's limits with the platform's default_limits for those it leaves null: a chatbot's default and the most a chatbot or key limit allows"`
	CompanyLimits   events.Limits `json:"company_limits" doc:"the whole company's limits, across all its chatbots and keys; null: no company-wide limit"`
}

// companyColumns are what scanCompany reads.
const companyColumns = `id::text, name, status, plan, requests_per_minute, daily_requests, monthly_requests,
	company_requests_per_minute, company_daily_requests, company_monthly_requests, created_at`

func (s *Side) scanCompany(r pgx.Row) (Company, error) {
	var c Company
	cl := &c.Plan.CompanyLimits
	err := r.Scan(&c.ID, &c.Name, &c.Status, &c.Plan.Name, &c.Plan.Limits.RequestsPerMinute,
		&c.Plan.Limits.DailyRequests, &c.Plan.Limits.MonthlyRequests,
		&cl.RequestsPerMinute, &cl.DailyRequests, &cl.MonthlyRequests, &c.CreatedAt)
	c.Plan.EffectiveLimits = c.Plan.Limits.Or(s.deps.Policy.Get().DefaultLimits)
	return c, err
}

type listCompaniesInput struct {
	MinPosition
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor string `query:"cursor" maxLength:"64"`
	Status string `query:"status" enum:"active,suspended,"`
}

type listCompaniesOutput struct {
	Body struct {
		Items      []Company `json:"items"`
		NextCursor *string   `json:"next_cursor"`
	}
}

type getCompanyInput struct {
	MinPosition
	ID string `path:"id" format:"uuid"`
}

type companyOutput struct {
	Body Company
}

func (s *Side) registerAdminCompanies(api huma.API) {
	tags := []string{"Admin"}
	huma.Register(api, auth.Require(huma.Operation{
		OperationID: "list-companies", Method: http.MethodGet, Path: "/v1/admin/companies", Tags: tags,
		Summary: "Every company, oldest first",
	}, auth.PermCompaniesRead), s.listCompanies)
	huma.Register(api, auth.Require(huma.Operation{
		OperationID: "get-company-admin", Method: http.MethodGet, Path: "/v1/admin/companies/{id}", Tags: tags,
		Summary: "One company",
	}, auth.PermCompaniesRead), s.getCompany)
}

func (s *Side) listCompanies(ctx context.Context, in *listCompaniesInput) (*listCompaniesOutput, error) {
	if err := s.Await(ctx, in.MinPosition, "companies"); err != nil {
		return nil, err
	}
	after, err := afterID(in.Cursor)
	if err != nil {
		return nil, err
	}
	rows, err := s.deps.Pool.Query(ctx, `SELECT `+companyColumns+` FROM `+projector.CompaniesTable+`
		WHERE id > $1 AND ($2 = '' OR status = $2) ORDER BY id LIMIT $3`, after, in.Status, in.Limit+1)
	if err != nil {
		return nil, err
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Company, error) { return s.scanCompany(r) })
	if err != nil {
		return nil, err
	}
	out := &listCompaniesOutput{}
	out.Body.Items, out.Body.NextCursor = page(items, in.Limit, func(c Company) string { return idCursor(c.ID) })
	return out, nil
}

func (s *Side) getCompany(ctx context.Context, in *getCompanyInput) (*companyOutput, error) {
	if err := s.Await(ctx, in.MinPosition, "companies"); err != nil {
		return nil, err
	}
	var out companyOutput
	var err error
	out.Body, err = s.scanCompany(s.deps.Pool.QueryRow(ctx, `SELECT `+companyColumns+` FROM `+projector.CompaniesTable+` WHERE id = $1`, in.ID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apperr.NotFound("company")
	}
	return &out, err
}
