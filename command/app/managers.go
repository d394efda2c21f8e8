package app

import (
	"context"
	"log/slog"

	"github.com/chatbotsaas/chatbot/command/domain/company"
	"github.com/chatbotsaas/chatbot/command/domain/user"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// A company's managers (members with the role company) are kept on the
// company aggregate as well as on each user, so that the company can
// refuse to lose its last one. Two existing aggregates cannot be changed
// in one checked batch (only its first message carries a check), so a
// change of both is a sequence with its compensation:
//
//   - a demotion or a removal first takes the manager off the company
//     (refused for the last one), then changes the user; when the user
//     step fails, the manager is given back to the company;
//   - a promotion changes the user first, then lists the manager.

// Managers records who gained or lost the company role.
type Managers struct {
	Store   *eventstore.Store
	Revoked *auth.Revocations
}

// change records the managers added and removed; force lets the last go.
func (m Managers) change(ctx context.Context, companyID string, added, removed []string, force bool) (uint64, error) {
	_, res, err := eventstore.Update(ctx, m.Store, companyRef(companyID), eventstore.EventsOnly(func(c *company.Company) ([]events.Event, error) {
		return c.ChangeManagers(added, removed, force)
	}))
	if err != nil {
		return 0, err
	}
	remember(m.Revoked, res)
	return res.Position, nil
}

// demote takes a manager off its company before its role changes to
// user, and answers the undo for a user step that fails (nil: nothing
// was demoted).
func (m Managers) demote(ctx context.Context, u user.User, newRole string) (func(context.Context), error) {
	if u.CompanyID == "" || u.Role != auth.RoleCompany || newRole != auth.RoleUser {
		return nil, nil
	}
	if _, err := m.change(ctx, u.CompanyID, nil, []string{u.ID}, false); err != nil {
		return nil, err
	}
	return func(ctx context.Context) { m.giveBack(ctx, u) }, nil
}

// promote lists a user who became a manager, after its role changed.
func (m Managers) promote(ctx context.Context, before user.User, newRole string) (uint64, error) {
	if before.CompanyID == "" || before.Role == auth.RoleCompany || newRole != auth.RoleCompany {
		return 0, nil
	}
	return m.change(ctx, before.CompanyID, []string{before.ID}, nil, true)
}

// giveBack lists the manager again after a change of the user that failed.
func (m Managers) giveBack(ctx context.Context, u user.User) {
	if _, err := m.change(context.WithoutCancel(ctx), u.CompanyID, []string{u.ID}, nil, true); err != nil {
		slog.ErrorContext(ctx, "a demotion that failed could not be undone on the company", "user", u.ID, "err", err)
	}
}
