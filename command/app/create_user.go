package app

import (
	"context"
	"errors"

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

// CreateUser creates an account: it reserves the email, stores the
// password hash and records UserRegistered; a failed append gives the
// email back.
func (id *Identity) CreateUser(ctx context.Context, in CreateUserInput) (CreatedUser, error) {
	var errs []apperr.FieldError
	email, name := id.checkAccount(in, &errs)
	if len(errs) > 0 {
		return CreatedUser{}, apperr.Validation(errs...)
	}
	return id.createUser(ctx, newID(ctx), email, name, in)
}

func (id *Identity) checkAccount(in CreateUserInput, errs *[]apperr.FieldError) (email, name string) {
	name = checkName("name", in.Name, errs)
	email = NormalizeEmail(in.Email)
	if !validEmail(email) {
		*errs = append(*errs, apperr.FieldError{Field: "email", Message: "must be an email address"})
	}
	id.checkPassword("password", in.Password, errs)
	switch {
	case !auth.ValidRole(in.Role):
		*errs = append(*errs, apperr.FieldError{Field: "role", Message: "must be admin, company or user"})
	case in.Role == auth.RoleAdmin && in.CompanyID != "":
		*errs = append(*errs, apperr.FieldError{Field: "company_id", Message: "an admin belongs to no company"})
	case in.Role != auth.RoleAdmin && !events.ValidToken(in.CompanyID):
		*errs = append(*errs, apperr.FieldError{Field: "company_id", Message: "is required for the roles company and user"})
	}
	return email, name
}

func (id *Identity) createUser(ctx context.Context, userID, email, name string, in CreateUserInput) (CreatedUser, error) {
	tenant := tenantOf(in.CompanyID)
	owner := reservation(tenant, userID)
	if err := id.store.Reserve(ctx, "email", email, owner); err != nil {
		if errors.Is(err, eventstore.ErrTaken) {
			return CreatedUser{}, ErrEmailTaken
		}
		return CreatedUser{}, err
	}
	release := func() { _ = id.store.Release(context.WithoutCancel(ctx), "email", email, owner) }
	hash, err := id.hasher.Hash(in.Password)
	if err == nil {
		err = id.storeHash(ctx, userID, hash)
	}
	if err != nil {
		release()
		return CreatedUser{}, err
	}
	if err := id.store.Reserve(ctx, "user", userID, owner); err != nil { // finds the user's tenant by id
		release()
		return CreatedUser{}, err
	}
	_, res, err := eventstore.Update(ctx, id.store, userRef(tenant, userID), eventstore.EventsOnly(func(u *user.User) ([]events.Event, error) {
		// Under an Idempotency-Key the id derives from the key: a user
		// there already is this request's own, registered by an attempt
		// killed before it answered. Refusing it would release the
		// reservations it owns.
		if u.Exists() && events.Deterministic(ctx) && u.CompanyID == in.CompanyID && u.Email == email {
			return nil, nil
		}
		return u.Register(in.CompanyID, email, name, in.Role)
	}))
	if err != nil {
		release()
		return CreatedUser{}, err
	}
	return CreatedUser{UserID: userID, Position: res.Position}, nil
}

// CreateUserInCompany is CreateUser for an administrator's request: the
// company named must exist.
func (id *Identity) CreateUserInCompany(ctx context.Context, in CreateUserInput) (CreatedUser, error) {
	if in.CompanyID != "" && events.ValidToken(in.CompanyID) {
		var c company.Company
		if _, err := id.store.Load(ctx, companyRef(in.CompanyID), &c); err != nil {
			return CreatedUser{}, err
		}
		if !c.Exists() {
			return CreatedUser{}, apperr.Validation(apperr.FieldError{Field: "company_id", Message: "no such company"})
		}
	}
	created, err := id.CreateUser(ctx, in)
	if err != nil || in.Role != auth.RoleCompany {
		return created, err
	}
	pos, err := id.changeManagers(ctx, in.CompanyID, []string{created.UserID}, nil, true)
	if err != nil {
		return CreatedUser{}, err
	}
	created.Position = pos
	return created, nil
}
