package query

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/jackc/pgx/v5"

	"github.com/chatbotsaas/chatbot/projector"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// Me is the caller's profile.
type Me struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	CompanyID *string   `json:"company_id"`
	Status    string    `json:"status" enum:"active,disabled"`
	CreatedAt time.Time `json:"created_at"`
}

type getMeInput struct {
	MinPosition
}

type getMeOutput struct {
	Body Me
}

func (s *Side) registerMe(api huma.API) {
	huma.Register(api, auth.Require(huma.Operation{
		OperationID: "get-me", Method: http.MethodGet, Path: "/v1/me", Tags: []string{"Me"},
		Summary: "The caller's profile",
	}, auth.PermProfileRead), s.getMe)
}

func (s *Side) getMe(ctx context.Context, in *getMeInput) (*getMeOutput, error) {
	p, _ := auth.PrincipalFrom(ctx)
	if err := s.Await(ctx, in.MinPosition, "users"); err != nil {
		return nil, err
	}
	var out getMeOutput
	// Read as the caller's tenant: row-level security backs up the filter.
	err := s.tenantQueryRow(ctx, p.Tenant(), `SELECT id::text, email, name, role, company_id::text, status, created_at
		FROM `+projector.UsersTable+` WHERE tenant_id = $1 AND id = $2 AND status <> 'deleted'`, p.Tenant(), p.UserID).
		Scan(&out.Body.ID, &out.Body.Email, &out.Body.Name, &out.Body.Role, &out.Body.CompanyID, &out.Body.Status, &out.Body.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, apperr.NotFound("user")
	}
	return &out, err
}
