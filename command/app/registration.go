package app

import (
	"context"
	"errors"
	"log/slog"

	"github.com/chatbotsaas/chatbot/command/domain/user"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
	"github.com/chatbotsaas/chatbot/shared/policy"
)

// ErrEmailTaken answers a signup or user creation with a used email.
var ErrEmailTaken = apperr.New(apperr.KindConflict, "email_taken", "an account with this email exists")

// A new account holds three things outside the stream before its
// UserRegistered is appended:
//
//  1. "email": its email, reserved for it (a race between two creates
//     with one email is settled here);
//  2. "hash": its password hash, in the credentials bucket;
//  3. "id": its id, reserved for its tenant (an administrator finds a
//     user by id alone).
//
// Then "append" stores UserRegistered, alone or in one atomic batch with
// its company's events. A failure at any step gives back what the steps
// before it took, so no reservation or hash outlives a create that failed.

// Registrar takes what a new account holds outside the stream.
type Registrar struct {
	Store  *eventstore.Store
	Creds  *Credentials
	Hasher *auth.Hasher
	Policy *policy.Holder
	Faults Faults
}

// account is a checked new account.
type account struct {
	tenant, userID, email, name string
	in                          CreateUserInput
}

// check validates a new account; the id is made by the caller.
func (r Registrar) check(in CreateUserInput, errs *[]apperr.FieldError) (email, name string) {
	name = checkName("name", in.Name, errs)
	email = NormalizeEmail(in.Email)
	if !validEmail(email) {
		*errs = append(*errs, apperr.FieldError{Field: "email", Message: "must be an email address"})
	}
	checkPassword(r.Policy, "password", in.Password, errs)
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

// claim runs steps 1 to 3; on success it answers the undo of all three,
// for the caller to run when its append fails.
func (r Registrar) claim(ctx context.Context, a account) (undoStack, error) {
	var undo undoStack
	fail := func(err error) (undoStack, error) {
		undo.run(ctx)
		return nil, err
	}
	owner := reservation(a.tenant, a.userID)
	if err := r.Faults.at("email"); err != nil {
		return fail(err)
	}
	if err := r.Store.Reserve(ctx, "email", a.email, owner); err != nil {
		if errors.Is(err, eventstore.ErrTaken) {
			err = ErrEmailTaken
		}
		return fail(err)
	}
	undo.push(func(ctx context.Context) { r.release(ctx, "email", a.email, owner) })
	if err := r.Faults.at("hash"); err != nil {
		return fail(err)
	}
	hash, err := r.Hasher.Hash(a.in.Password)
	if err == nil {
		err = r.Creds.Put(ctx, a.userID, hash)
	}
	if err != nil {
		return fail(err)
	}
	undo.push(func(ctx context.Context) {
		if err := r.Creds.Delete(ctx, a.userID); err != nil {
			slog.ErrorContext(ctx, "the password hash of a create that failed is left", "user", a.userID, "err", err)
		}
	})
	if err := r.Faults.at("id"); err != nil {
		return fail(err)
	}
	if err := r.Store.Reserve(ctx, "user", a.userID, owner); err != nil {
		return fail(err)
	}
	undo.push(func(ctx context.Context) { r.release(ctx, "user", a.userID, owner) })
	if err := r.Faults.at("append"); err != nil {
		return fail(err)
	}
	return undo, nil
}

func (r Registrar) release(ctx context.Context, kind, key, owner string) {
	if err := r.Store.Release(ctx, kind, key, owner); err != nil {
		slog.ErrorContext(ctx, "a reservation of a create that failed is left", "kind", kind, "owner", owner, "err", err)
	}
}

// register is the user's own decision: UserRegistered on its empty state.
// Under an Idempotency-Key the id derives from the key: a user there
// already is this request's own, registered by an attempt killed before
// it answered, and nothing more is to be done.
func register(ctx context.Context, u *user.User, a account) ([]events.Event, error) {
	if u.Exists() && events.Deterministic(ctx) && u.CompanyID == a.in.CompanyID && u.Email == a.email {
		return nil, nil
	}
	return u.Register(a.in.CompanyID, a.email, a.name, a.in.Role)
}

// registered is the UserRegistered of a new account, for a batch that
// starts it beside its company's events.
func registered(a account) (eventstore.Started, error) {
	var u user.User
	evs, err := u.Register(a.in.CompanyID, a.email, a.name, a.in.Role)
	return eventstore.Started{Ref: userRef(a.tenant, a.userID), Events: evs}, err
}
