package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/chatbotsaas/chatbot/command/app"
	"github.com/chatbotsaas/chatbot/shared/auth"
	"github.com/chatbotsaas/chatbot/shared/httpx"
)

// Me serves the caller's own profile and password changes.
type Me struct {
	Commands *app.Commands
	Rate     LoginRate // a password change guesses a password too
}

// Profile is the caller's profile as /v1/me answers it.
type Profile struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	CompanyID *string   `json:"company_id"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
}

type patchMeInput struct {
	Body struct {
		Name string `json:"name" maxLength:"200"`
	}
}

type profileOutput struct {
	EventPosition
	Body Profile
}

type changePasswordInput struct {
	Body struct {
		CurrentPassword string `json:"current_password" maxLength:"1024"`
		NewPassword     string `json:"new_password" maxLength:"1024"`
	}
}

// Register adds the routes.
func (m *Me) Register(api huma.API) {
	tags := []string{"Me"}
	huma.Register(api, auth.Require(huma.Operation{
		OperationID: "update-me", Method: http.MethodPatch, Path: "/v1/me", Tags: tags,
		Summary: "Change one's own name; role, company and status cannot be set here (400)",
	}, auth.PermProfileWrite), m.patch)
	huma.Register(api, httpx.NoIdempotency(auth.Require(huma.Operation{
		OperationID: "change-password", Method: http.MethodPost, Path: "/v1/me/password", Tags: tags, DefaultStatus: http.StatusNoContent,
		Summary: "Change one's own password; every other session is revoked. A wrong current password counts toward the lockout like a failed login, and the per-IP login rate applies",
		Errors:  []int{http.StatusTooManyRequests},
	}, auth.PermProfileWrite)), m.changePassword)
}

func (m *Me) patch(ctx context.Context, in *patchMeInput) (*profileOutput, error) {
	p, _ := auth.PrincipalFrom(ctx)
	at, err := m.Commands.UpdateProfile.Handle(ctx, app.UpdateProfileCmd{Principal: p, Name: in.Body.Name})
	if err != nil {
		return nil, err
	}
	u, pos := at.User, at.Position
	out := &profileOutput{Body: Profile{ID: u.ID, Email: u.Email, Name: u.Name, Role: u.Role, Status: u.Status, CreatedAt: u.CreatedAt}}
	if u.CompanyID != "" {
		out.Body.CompanyID = &u.CompanyID
	}
	out.EventPosition.EventPosition = pos
	return out, nil
}

func (m *Me) changePassword(ctx context.Context, in *changePasswordInput) (*positionOutput, error) {
	if err := m.Rate.Check(ctx); err != nil {
		return nil, err
	}
	p, _ := auth.PrincipalFrom(ctx)
	pos, err := m.Commands.ChangePassword.Handle(ctx, app.ChangePasswordCmd{Principal: p, Current: in.Body.CurrentPassword, Next: in.Body.NewPassword, Client: auth.ClientFrom(ctx)})
	if err != nil {
		return nil, err
	}
	return &positionOutput{EventPosition{EventPosition: pos}}, nil
}
