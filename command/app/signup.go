package app

import (
	"context"

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
	companyID := newID(ctx)
	userID := newID(ctx)
	account := CreateUserInput{Email: in.Email, Name: in.Name, Password: in.Password, Role: auth.RoleCompany, CompanyID: companyID}
	var errs []apperr.FieldError
	companyName := checkName("company_name", in.CompanyName, &errs)
	email, name := id.checkAccount(account, &errs)
	if len(errs) > 0 {
		return SignupResult{}, apperr.Validation(errs...)
	}
	// Refuse a taken email before the company exists; createUser's
	// reservation still settles a race between two signups. The email
	// may be this very signup's, retried under its Idempotency-Key after
	// an attempt killed midway: the ids derive from the key.
	if owner, err := id.store.Owner(ctx, "email", email); err != nil {
		return SignupResult{}, err
	} else if owner != "" && owner != reservation(tenantOf(companyID), userID) {
		return SignupResult{}, ErrEmailTaken
	}
	// The new account is the actor of its own signup: no one else is.
	ctx = events.WithActor(ctx, events.UserActor(userID))
	company := eventstore.Ref{Tenant: companyID, Type: events.AggregateCompany, ID: companyID}
	if _, err := id.store.Append(ctx, company, eventstore.Loaded{},
		events.Event{Type: events.CompanyRegistered, Data: events.CompanyRegisteredData{Name: companyName}}); err != nil {
		return SignupResult{}, err
	}
	created, err := id.createUser(ctx, userID, email, name, account)
	if err != nil {
		return SignupResult{}, err
	}
	pos, err := id.changeManagers(ctx, companyID, []string{created.UserID}, nil, true)
	if err != nil {
		return SignupResult{}, err
	}
	return SignupResult{UserID: created.UserID, CompanyID: companyID, Position: pos}, nil
}
