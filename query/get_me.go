package query

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

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
	ReadHeaders
}

func (s *Side) registerMe(api huma.API) {
	huma.Register(api, auth.Require(huma.Operation{
		OperationID: "get-me", Method: http.MethodGet, Path: "/v1/me", Tags: []string{"Me"},
		Summary: "The caller's profile",
	}, auth.PermProfileRead), s.getMe)
}

func (s *Side) getMe(ctx context.Context, in *getMeInput) (*readOutput[Me], error) {
	p, _ := auth.PrincipalFrom(ctx)
	r, err := s.reader.Me(ctx, in.MinPosition, p.Tenant(), p.UserID)
	if err != nil {
		return nil, err
	}
	return answer(in.Revalidate, r), nil
}
