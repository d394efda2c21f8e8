package app

import (
	"context"
	"log/slog"

	"github.com/chatbotsaas/chatbot/command/domain/company"
	"github.com/chatbotsaas/chatbot/command/domain/user"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// A company's managers (members with the role company) are kept on the
// company aggregate as well as on each user, so that the company can
// refuse to lose its last one: a demotion or removal first takes the
// manager off the company (refused if last), then changes the user; a
// promotion changes the user first.

// changeManagers records who gained or lost the company role.
func (id *Identity) changeManagers(ctx context.Context, companyID string, added, removed []string, force bool) (uint64, error) {
	_, res, err := eventstore.Update(ctx, id.store, companyRef(companyID), eventstore.EventsOnly(func(c *company.Company) ([]events.Event, error) {
		return c.ChangeManagers(added, removed, force)
	}))
	if err != nil {
		return 0, err
	}
	id.remember(res)
	return res.Position, nil
}

// RenameCompany changes the company's name.
func (id *Identity) RenameCompany(ctx context.Context, companyID, name string) (company.Company, uint64, error) {
	var errs []apperr.FieldError
	name = checkName("name", name, &errs)
	if len(errs) > 0 {
		return company.Company{}, 0, apperr.Validation(errs...)
	}
	after, res, err := eventstore.Update(ctx, id.store, companyRef(companyID), func(c *company.Company) (*company.Company, []events.Event, error) {
		evs, err := c.Rename(name)
		return c, evs, err // folded with the rename
	})
	if err != nil {
		return company.Company{}, 0, err
	}
	id.remember(res)
	return *after, res.Position, nil
}

// AddMember creates an account in the company with the role company or user.
func (id *Identity) AddMember(ctx context.Context, companyID string, in CreateUserInput) (CreatedUser, error) {
	if in.Role != auth.RoleCompany && in.Role != auth.RoleUser {
		return CreatedUser{}, apperr.Validation(apperr.FieldError{Field: "role", Message: "must be company or user"})
	}
	in.CompanyID = companyID
	return id.CreateUserInCompany(ctx, in)
}

// member loads a user of the company; anyone else is not found.
func (id *Identity) member(ctx context.Context, companyID, userID string) (eventstore.Ref, user.User, error) {
	if !events.ValidToken(userID) {
		return eventstore.Ref{}, user.User{}, apperr.NotFound("member")
	}
	ref := userRef(companyID, userID)
	var u user.User
	if _, err := id.store.Load(ctx, ref, &u); err != nil {
		return ref, u, err
	}
	if !u.Exists() || u.CompanyID != companyID {
		return ref, u, apperr.NotFound("member")
	}
	return ref, u, nil
}

// ChangeMemberRole moves a member between the roles company and user. The
// last manager cannot become a user.
func (id *Identity) ChangeMemberRole(ctx context.Context, companyID, userID, role string) (user.User, uint64, error) {
	if role != auth.RoleCompany && role != auth.RoleUser {
		return user.User{}, 0, apperr.Validation(apperr.FieldError{Field: "role", Message: "must be company or user"})
	}
	_, u, err := id.member(ctx, companyID, userID)
	if err != nil {
		return user.User{}, 0, err
	}
	if u.Role == role {
		return u, 0, nil
	}
	return id.PatchUser(ctx, userID, UserPatch{Role: &role})
}

// RemoveMember deletes a member of the company: its sessions die and its
// personal data is erased. The last manager cannot be removed.
func (id *Identity) RemoveMember(ctx context.Context, companyID, userID string) (uint64, error) {
	if _, _, err := id.member(ctx, companyID, userID); err != nil {
		return 0, err
	}
	if _, err := id.changeManagers(ctx, companyID, nil, []string{userID}, false); err != nil {
		return 0, err
	}
	return id.DeleteUser(ctx, userID)
}

// demoteFirst keeps the company's managers in step with a role change
// decided on the user: a demotion is recorded before it (and refused for
// the last manager), a promotion after it (promoteAfter). It reports
// whether it demoted.
func (id *Identity) demoteFirst(ctx context.Context, u user.User, newRole string) (bool, error) {
	if u.CompanyID == "" || u.Role != auth.RoleCompany || newRole != auth.RoleUser {
		return false, nil
	}
	_, err := id.changeManagers(ctx, u.CompanyID, nil, []string{u.ID}, false)
	return err == nil, err
}

func (id *Identity) promoteAfter(ctx context.Context, before user.User, newRole string) (uint64, error) {
	if before.CompanyID == "" || before.Role == auth.RoleCompany || newRole != auth.RoleCompany {
		return 0, nil
	}
	return id.changeManagers(ctx, before.CompanyID, []string{before.ID}, nil, true)
}

// undoDemotion gives the manager back after a role change that failed.
func (id *Identity) undoDemotion(ctx context.Context, u user.User) {
	if _, err := id.changeManagers(context.WithoutCancel(ctx), u.CompanyID, []string{u.ID}, nil, true); err != nil {
		slog.ErrorContext(ctx, "a demotion that failed could not be undone on the company", "user", u.ID, "err", err)
	}
}
