package query

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/jackc/pgx/v5"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/readmodel"
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

type listCompaniesInput struct {
	ReadHeaders
	Limit  int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor string `query:"cursor" maxLength:"64"`
	Status string `query:"status" enum:"active,suspended,"`
}

type getCompanyInput struct {
	ReadHeaders
	ID string `path:"id" format:"uuid"`
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

func (s *Side) listCompanies(ctx context.Context, in *listCompaniesInput) (*readOutput[List[Company]], error) {
	pool, err := s.reads(ctx, in.MinPosition, readmodel.Companies)
	if err != nil {
		return nil, err
	}
	after, err := afterID(in.Cursor)
	if err != nil {
		return nil, err
	}
	rows, err := pool.Query(ctx, adminCompaniesSQL, after, in.Status, in.Limit+1)
	l, err := collectPage(rows, err, in.Limit, func(r pgx.CollectableRow) (Company, error) { return scanCompany(r, s.deps.Policy) },
		func(c Company) string { return idCursor(c.ID) })
	if err != nil {
		return nil, err
	}
	return answerValue(in.Revalidate, l)
}

func (s *Side) getCompany(ctx context.Context, in *getCompanyInput) (*readOutput[Company], error) {
	pool, err := s.reads(ctx, in.MinPosition, readmodel.Companies)
	if err != nil {
		return nil, err
	}
	c, err := scanCompany(pool.QueryRow(ctx, adminCompanySQL, in.ID), s.deps.Policy)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apperr.NotFound("company")
	}
	if err != nil {
		return nil, err
	}
	return answerValue(in.Revalidate, c)
}
