package app

import (
	"context"

	"github.com/chatbotsaas/chatbot/command/domain/company"
	"github.com/chatbotsaas/chatbot/command/domain/user"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// CreateUserInput is a new account. CompanyID is required for the roles
// company and user, and must be empty for admin.
type CreateUserInput struct {
	Email     string
	Name      string
	Password  string
	Role      string
	CompanyID string
}

// CreatedUser names the new account and where its event is.
type CreatedUser struct {
	UserID   string
	Position uint64
}

// CreateUser creates an account: an administrator's (the company named
// must exist), a company's member, or the first admin. It claims the
// email, hash and id (Registrar), then appends UserRegistered; a manager
// (role company) is appended in one atomic batch with its company's
// CompanyManagersChanged, whose check comes first: the company cannot
// list a manager that does not exist, nor the user be a manager its
// company does not list. A failed append gives the claims back.
type CreateUser struct {
	Registrar Registrar
}

// Handle creates the account.
func (h CreateUser) Handle(ctx context.Context, in CreateUserInput) (CreatedUser, error) {
	if in.CompanyID != "" {
		if err := h.companyExists(ctx, in.CompanyID); err != nil {
			return CreatedUser{}, err
		}
	}
	var errs []apperr.FieldError
	email, name := h.Registrar.check(in, &errs)
	if len(errs) > 0 {
		return CreatedUser{}, apperr.Validation(errs...)
	}
	a := account{tenant: tenantOf(in.CompanyID), userID: newID(ctx), email: email, name: name, in: in}
	undo, err := h.Registrar.claim(ctx, a)
	if err != nil {
		return CreatedUser{}, err
	}
	var res eventstore.Appended
	if in.Role == auth.RoleCompany {
		res, err = h.appendManager(ctx, a)
	} else {
		_, res, err = eventstore.Update(ctx, h.Registrar.Store, userRef(a.tenant, a.userID), eventstore.EventsOnly(func(u *user.User) ([]events.Event, error) {
			return register(ctx, u, a)
		}))
	}
	if err != nil {
		undo.run(ctx)
		return CreatedUser{}, err
	}
	return CreatedUser{UserID: a.userID, Position: res.Position}, nil
}

// appendManager lists the new manager on its company and registers it,
// in one batch.
func (h CreateUser) appendManager(ctx context.Context, a account) (eventstore.Appended, error) {
	var u user.User
	if _, err := h.Registrar.Store.Load(ctx, userRef(a.tenant, a.userID), &u); err != nil {
		return eventstore.Appended{}, err
	}
	_, res, err := eventstore.UpdateStarting(ctx, h.Registrar.Store, companyRef(a.in.CompanyID), 0,
		func(c *company.Company) (eventstore.Nothing, []events.Event, error) {
			evs, err := c.ChangeManagers([]string{a.userID}, nil, true)
			return eventstore.Nothing{}, evs, err
		},
		func(eventstore.Nothing) (eventstore.Started, error) {
			if evs, err := register(ctx, &u, a); err != nil || len(evs) == 0 {
				return eventstore.Started{}, err // a retry finds its own user
			}
			return registered(a)
		})
	return res, err
}

// companyExists refuses a company that was never registered.
func (h CreateUser) companyExists(ctx context.Context, companyID string) error {
	if !events.ValidToken(companyID) {
		return nil // check refused it already
	}
	var c company.Company
	if _, err := h.Registrar.Store.Load(ctx, companyRef(companyID), &c); err != nil {
		return err
	}
	if !c.Exists() {
		return apperr.Validation(apperr.FieldError{Field: "company_id", Message: "no such company"})
	}
	return nil
}
