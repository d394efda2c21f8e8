package app

import (
	"context"

	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// AddMemberCmd is a new account in the company asking.
type AddMemberCmd struct {
	CompanyID string
	Account   CreateUserInput // its CompanyID is set from the command's
}

// AddMember creates an account in the company with the role company or
// user, as CreateUser does.
type AddMember struct {
	Create Handler[CreateUserInput, CreatedUser]
}

// Handle adds the member.
func (h AddMember) Handle(ctx context.Context, cmd AddMemberCmd) (CreatedUser, error) {
	in := cmd.Account
	if in.Role != auth.RoleCompany && in.Role != auth.RoleUser {
		return CreatedUser{}, apperr.Validation(apperr.FieldError{Field: "role", Message: "must be company or user"})
	}
	in.CompanyID = cmd.CompanyID
	return h.Create.Handle(ctx, in)
}
