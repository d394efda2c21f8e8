package app

import (
	"context"

	"github.com/chatbotsaas/chatbot/command/domain/company"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
	"github.com/chatbotsaas/chatbot/shared/policy"
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

// Signup creates a company and its first user, with role company. The
// account's email, hash and id are claimed first (Registrar); then the
// company (registered, with its manager) and the user are appended in one
// atomic batch, both new aggregates: there is never a company without its
// user, and a failed batch gives the claims back.
type Signup struct {
	Registrar Registrar
	Policy    *policy.Holder
}

// Handle runs the signup.
func (h Signup) Handle(ctx context.Context, in SignupInput) (SignupResult, error) {
	if !h.Policy.Get().SignupEnabled {
		return SignupResult{}, apperr.New(apperr.KindForbidden, "forbidden", "signup is disabled")
	}
	companyID, userID := newID(ctx), newID(ctx)
	in2 := CreateUserInput{Email: in.Email, Name: in.Name, Password: in.Password, Role: auth.RoleCompany, CompanyID: companyID}
	var errs []apperr.FieldError
	companyName := checkName("company_name", in.CompanyName, &errs)
	email, name := h.Registrar.check(in2, &errs)
	if len(errs) > 0 {
		return SignupResult{}, apperr.Validation(errs...)
	}
	a := account{tenant: companyID, userID: userID, email: email, name: name, in: in2}
	// Refuse a taken email before anything is claimed; the email claim
	// still settles a race between two signups. The email may be this
	// very signup's, retried under its Idempotency-Key after an attempt
	// killed midway: the ids derive from the key.
	if owner, err := h.Registrar.Store.Owner(ctx, "email", email); err != nil {
		return SignupResult{}, err
	} else if owner != "" && owner != reservation(companyID, userID) {
		return SignupResult{}, ErrEmailTaken
	}
	// The new account is the actor of its own signup: no one else is.
	ctx = events.WithActor(ctx, events.UserActor(userID))
	undo, err := h.Registrar.claim(ctx, a)
	if err != nil {
		return SignupResult{}, err
	}
	_, res, err := eventstore.UpdateStarting(ctx, h.Registrar.Store, companyRef(companyID), 0,
		func(c *company.Company) (bool, []events.Event, error) {
			if c.Exists() && events.Deterministic(ctx) {
				return false, nil, nil // this signup's own, stored by an attempt killed before it answered
			}
			evs, err := c.Register(companyName, userID)
			return true, evs, err
		},
		func(bool) (eventstore.Started, error) { return registered(a) })
	if err != nil {
		undo.run(ctx)
		return SignupResult{}, err
	}
	return SignupResult{UserID: userID, CompanyID: companyID, Position: res.Position}, nil
}
