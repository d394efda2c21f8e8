package httpapi

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/chatbotsaas/chatbot/command/app"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// AdminUsers serves the admin's user commands.
type AdminUsers struct {
	Commands *app.Commands
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
	a.registerChanges(api)
}

func (a *AdminUsers) create(ctx context.Context, in *createUserInput) (*createdUserOutput, error) {
	b := in.Body
	created, err := a.Commands.CreateUser.Handle(ctx, app.CreateUserInput{Email: b.Email, Name: b.Name, Password: b.Password, Role: b.Role, CompanyID: b.CompanyID})
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

type patchUserInput struct {
	ID   string `path:"id" format:"uuid"`
	Body struct {
		Name      *string `json:"name,omitempty" maxLength:"200"`
		Role      *string `json:"role,omitempty" enum:"admin,company,user"`
		CompanyID *string `json:"company_id,omitempty"`
		Status    *string `json:"status,omitempty" enum:"active,disabled"`
	}
}

type userOutput struct {
	EventPosition
	Body struct {
		ID        string  `json:"id"`
		Email     string  `json:"email"`
		Name      string  `json:"name"`
		Role      string  `json:"role"`
		CompanyID *string `json:"company_id"`
		Status    string  `json:"status"`
	}
}

type userIDInput struct {
	ID string `path:"id" format:"uuid"`
}

func (a *AdminUsers) registerChanges(api huma.API) {
	tags := []string{"Admin"}
	huma.Register(api, auth.Require(huma.Operation{
		OperationID: "update-user-admin", Method: http.MethodPatch, Path: "/v1/admin/users/{id}", Tags: tags,
		Summary: "Change a user's name, role or status; a role change or disable stops its tokens; disabling or demoting the last active admin answers 409 conflict",
	}, auth.PermUsersWrite), a.patch)
	huma.Register(api, auth.Require(huma.Operation{
		OperationID: "delete-user-admin", Method: http.MethodDelete, Path: "/v1/admin/users/{id}", Tags: tags,
		DefaultStatus: http.StatusNoContent, Summary: "Delete a user: its sessions die, its personal data leaves the read models; the last active admin cannot be deleted (409 conflict)",
	}, auth.PermUsersWrite), a.delete)
	huma.Register(api, auth.Require(huma.Operation{
		OperationID: "unlock-user-admin", Method: http.MethodPost, Path: "/v1/admin/users/{id}/unlock", Tags: tags,
		DefaultStatus: http.StatusNoContent, Summary: "Lift a lock, temporary or permanent (AccountUnlocked, reason admin)",
	}, auth.PermUsersWrite), a.unlock)
}

func (a *AdminUsers) patch(ctx context.Context, in *patchUserInput) (*userOutput, error) {
	if in.Body.CompanyID != nil {
		return nil, apperr.Validation(apperr.FieldError{Field: "company_id", Message: "users cannot move between companies; create an account in the other company"})
	}
	at, err := a.Commands.PatchUser.Handle(ctx, app.UserPatch{UserID: in.ID, Name: in.Body.Name, Role: in.Body.Role, Status: in.Body.Status})
	if err != nil {
		return nil, err
	}
	u, pos := at.User, at.Position
	out := &userOutput{EventPosition: EventPosition{EventPosition: pos}}
	out.Body.ID, out.Body.Email, out.Body.Name, out.Body.Role, out.Body.Status = u.ID, u.Email, u.Name, u.Role, u.Status
	if u.CompanyID != "" {
		out.Body.CompanyID = &u.CompanyID
	}
	return out, nil
}

func (a *AdminUsers) delete(ctx context.Context, in *userIDInput) (*positionOutput, error) {
	pos, err := a.Commands.DeleteUser.Handle(ctx, app.DeleteUserCmd{UserID: in.ID})
	if err != nil {
		return nil, err
	}
	return &positionOutput{EventPosition{EventPosition: pos}}, nil
}

func (a *AdminUsers) unlock(ctx context.Context, in *userIDInput) (*positionOutput, error) {
	pos, err := a.Commands.UnlockUser.Handle(ctx, app.UnlockUserCmd{UserID: in.ID})
	if err != nil {
		return nil, err
	}
	return &positionOutput{EventPosition{EventPosition: pos}}, nil
}
