package app

import (
	"context"
	"errors"

	"github.com/chatbotsaas/chatbot/command/domain/user"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// SignupInput is a new company and its first manager.
type SignupInput struct {
	CompanyName string
	Name        string
	Email       string
	Password    string
}

// SignupResult names what signup created.
type SignupResult struct {
	UserID    string
	CompanyID string
	Position  uint64
}

// ErrEmailTaken answers a signup or user creation with a used email.
var ErrEmailTaken = apperr.New(apperr.KindConflict, "email_taken", "an account with this email exists")

// Signup creates a company and its first user, with role company.
func (id *Identity) Signup(ctx context.Context, in SignupInput) (SignupResult, error) {
	if !id.policy.Get().SignupEnabled {
		return SignupResult{}, apperr.New(apperr.KindForbidden, "forbidden", "signup is disabled")
	}
	var errs []apperr.FieldError
	companyName := checkName("company_name", in.CompanyName, &errs)
	name := checkName("name", in.Name, &errs)
	email := NormalizeEmail(in.Email)
	if !validEmail(email) {
		errs = append(errs, apperr.FieldError{Field: "email", Message: "must be an email address"})
	}
	id.checkPassword("password", in.Password, &errs)
	if len(errs) > 0 {
		return SignupResult{}, apperr.Validation(errs...)
	}

	companyID, userID := newID(), newID()
	res := SignupResult{UserID: userID, CompanyID: companyID}
	owner := reservation(companyID, userID)
	if err := id.store.Reserve(ctx, "email", email, owner); err != nil {
		if errors.Is(err, eventstore.ErrTaken) {
			return SignupResult{}, ErrEmailTaken
		}
		return SignupResult{}, err
	}
	release := func() { _ = id.store.Release(context.WithoutCancel(ctx), "email", email, owner) }

	hash, err := id.hasher.Hash(in.Password)
	if err == nil {
		err = id.storeHash(ctx, userID, hash)
	}
	if err != nil {
		release()
		return SignupResult{}, err
	}
	company := eventstore.Ref{Tenant: companyID, Type: events.AggregateCompany, ID: companyID}
	if _, err := id.store.Append(ctx, company, eventstore.Loaded{},
		events.Event{Type: events.CompanyRegistered, Data: events.CompanyRegisteredData{Name: companyName}}); err != nil {
		release()
		return SignupResult{}, err
	}
	appended, err := eventstore.Update(ctx, id.store, userRef(companyID, userID), func(u *user.User) ([]events.Event, error) {
		return u.Register(companyID, email, name, auth.RoleCompany)
	})
	if err != nil {
		release()
		return SignupResult{}, err
	}
	res.Position = appended.Position
	return res, nil
}
