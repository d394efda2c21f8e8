package app

import (
	"context"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// MemberRoleCmd moves a member of a company to a role.
type MemberRoleCmd struct {
	CompanyID, UserID, Role string
}

// ChangeMemberRole moves a member between the roles company and user, as
// PatchUser does. The last manager cannot become a user.
type ChangeMemberRole struct {
	Store *eventstore.Store
	Patch Handler[UserPatch, UserAt]
}

// Handle changes the role.
func (h ChangeMemberRole) Handle(ctx context.Context, cmd MemberRoleCmd) (UserAt, error) {
	if cmd.Role != auth.RoleCompany && cmd.Role != auth.RoleUser {
		return UserAt{}, apperr.Validation(apperr.FieldError{Field: "role", Message: "must be company or user"})
	}
	_, u, err := loadMember(ctx, h.Store, cmd.CompanyID, cmd.UserID)
	if err != nil {
		return UserAt{}, err
	}
	if u.Role == cmd.Role {
		return UserAt{User: u}, nil
	}
	role := cmd.Role
	return h.Patch.Handle(ctx, UserPatch{UserID: cmd.UserID, Role: &role})
}
