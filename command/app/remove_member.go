package app

import (
	"context"

	"github.com/chatbotsaas/chatbot/command/domain/user"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// MemberCmd names a member of a company.
type MemberCmd struct{ CompanyID, UserID string }

// RemoveMember deletes a member of the company: its sessions die and its
// personal data is erased. The last manager cannot be removed: the
// manager is first taken off the company (refused for the last), then
// the user is deleted; when the delete fails, the company gets its
// manager back (see Managers).
type RemoveMember struct {
	Store    *eventstore.Store
	Managers Managers
	Delete   Handler[DeleteUserCmd, uint64]
	Faults   Faults
}

// Handle removes the member.
func (h RemoveMember) Handle(ctx context.Context, cmd MemberCmd) (uint64, error) {
	_, u, err := loadMember(ctx, h.Store, cmd.CompanyID, cmd.UserID)
	if err != nil {
		return 0, err
	}
	if _, err := h.Managers.change(ctx, cmd.CompanyID, nil, []string{cmd.UserID}, false); err != nil {
		return 0, err
	}
	pos, err := h.delete(ctx, cmd)
	if err != nil && u.Role == auth.RoleCompany {
		h.Managers.giveBack(ctx, u)
	}
	return pos, err
}

func (h RemoveMember) delete(ctx context.Context, cmd MemberCmd) (uint64, error) {
	if err := h.Faults.at("user"); err != nil {
		return 0, err
	}
	return h.Delete.Handle(ctx, DeleteUserCmd{UserID: cmd.UserID})
}

// loadMember loads a user of the company; anyone else is not found.
func loadMember(ctx context.Context, store *eventstore.Store, companyID, userID string) (eventstore.Ref, user.User, error) {
	if !events.ValidToken(userID) {
		return eventstore.Ref{}, user.User{}, apperr.NotFound("member")
	}
	ref := userRef(companyID, userID)
	var u user.User
	if _, err := store.Load(ctx, ref, &u); err != nil {
		return ref, u, err
	}
	if !u.Exists() || u.CompanyID != companyID {
		return ref, u, apperr.NotFound("member")
	}
	return ref, u, nil
}
