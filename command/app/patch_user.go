package app

import (
	"context"

	"github.com/chatbotsaas/chatbot/command/domain/user"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// UserPatch is an administrator's change to a user; nil fields stay.
type UserPatch struct {
	UserID string
	Name   *string
	Role   *string
	Status *string
}

// UserAt is a user after a command, and where its last event is.
type UserAt struct {
	User     user.User
	Position uint64
}

// PatchUser changes a user's name, role or status as one decision on the
// user. A role change is a flow with the company (Managers): a demotion
// is taken off the company first and given back if the user's change
// fails; a promotion is listed after it.
type PatchUser struct {
	Store    *eventstore.Store
	Admins   Admins
	Managers Managers
	Revoked  *auth.Revocations
	Faults   Faults
}

// Handle applies the patch.
func (h PatchUser) Handle(ctx context.Context, p UserPatch) (UserAt, error) {
	ref, err := locateUser(ctx, h.Store, p.UserID)
	if err != nil {
		return UserAt{}, err
	}
	var errs []apperr.FieldError
	if p.Name != nil {
		name := checkName("name", *p.Name, &errs)
		p.Name = &name
	}
	if len(errs) > 0 {
		return UserAt{}, apperr.Validation(errs...)
	}
	var before user.User
	var undo undoStack
	if p.Role != nil {
		if _, err := h.Store.Load(ctx, ref, &before); err != nil {
			return UserAt{}, err
		}
		giveBack, err := h.Managers.demote(ctx, before, *p.Role)
		if err != nil {
			return UserAt{}, err
		}
		if giveBack != nil {
			undo.push(giveBack)
		}
	}
	after, res, err := h.change(ctx, ref, p)
	if err != nil {
		undo.run(ctx)
		return UserAt{}, err
	}
	remember(h.Revoked, res)
	position := res.Position
	if p.Role != nil {
		pos, err := h.Managers.promote(ctx, before, *p.Role)
		if err != nil {
			return UserAt{}, err
		}
		position = max(position, pos)
	}
	return UserAt{User: *after, Position: position}, nil
}

// change is the decision on the user.
func (h PatchUser) change(ctx context.Context, ref eventstore.Ref, p UserPatch) (*user.User, eventstore.Appended, error) {
	if err := h.Faults.at("user"); err != nil {
		return nil, eventstore.Appended{}, err
	}
	return h.Admins.update(ctx, ref, p.removesAdmin(), func(u *user.User) (*user.User, []events.Event, error) {
		var steps []func() ([]events.Event, error)
		if p.Name != nil {
			steps = append(steps, func() ([]events.Event, error) { return u.Rename(*p.Name) })
		}
		if p.Role != nil {
			steps = append(steps, func() ([]events.Event, error) { return u.ChangeRole(*p.Role) })
		}
		if p.Status != nil {
			steps = append(steps, func() ([]events.Event, error) { return u.SetStatus(*p.Status) })
		}
		var evs []events.Event
		for _, step := range steps {
			more, err := step()
			if err != nil {
				return nil, nil, err
			}
			evs = append(evs, more...)
		}
		return u, evs, nil // folded with what is appended
	})
}

// locateUser finds the aggregate of a user by id.
func locateUser(ctx context.Context, store *eventstore.Store, userID string) (eventstore.Ref, error) {
	owner, err := store.Owner(ctx, "user", userID)
	if err != nil {
		return eventstore.Ref{}, err
	}
	tenant, uid, ok := parseReservation(owner)
	if !ok || uid != userID {
		return eventstore.Ref{}, apperr.NotFound("user")
	}
	return userRef(tenant, uid), nil // the store's copy, not the caller's string
}
