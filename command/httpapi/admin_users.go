package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/chatbotsaas/chatbot/command/app"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// AdminUsers serves the admin's user commands.
type AdminUsers struct {
	Identity *app.Identity
}

type createUserInput struct {
	Body struct {
		Email     string `json:"email" maxLength:"320"`
		Name      string `json:"name" maxLength:"200"`
		Password  string `json:"password" maxLength:"1024"`
		Role      string `json:"role" enum:"admin,company,user"`
		CompanyID string `json:"company_id,omitempty" doc:"required for the roles company and user; none for admin"`
	}
}

type createdUserOutput struct {
	EventPosition
	Body struct {
		ID        string  `json:"id"`
		Email     string  `json:"email"`
		Name      string  `json:"name"`
		Role      string  `json:"role"`
		CompanyID *string `json:"company_id"`
	}
}

// Register adds the routes.
func (a *AdminUsers) Register(api huma.API) {
	huma.Register(api, auth.Require(huma.Operation{
		OperationID: "create-user-admin", Method: http.MethodPost, Path: "/v1/admin/users", Tags: []string{"Admin"},
		DefaultStatus: http.StatusCreated, Summary: "Create a user with a role, in a company unless it is an admin",
	}, auth.PermUsersWrite), a.create)
}

func (a *AdminUsers) create(ctx context.Context, in *createUserInput) (*createdUserOutput, error) {
	b := in.Body
	created, err := a.Identity.CreateUserInCompany(ctx, app.CreateUserInput{Email: b.Email, Name: b.Name, Password: b.Password, Role: b.Role, CompanyID: b.CompanyID})
	if err != nil {
		return nil, err
	}
	out := &createdUserOutput{EventPosition: EventPosition{EventPosition: created.Position}}
	out.Body.ID, out.Body.Email, out.Body.Name, out.Body.Role = created.UserID, app.NormalizeEmail(b.Email), b.Name, b.Role
	if b.CompanyID != "" {
		out.Body.CompanyID = &b.CompanyID
	}
	return out, nil
}
