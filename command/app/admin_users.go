package app

import (
	"context"
	"log/slog"

	"github.com/chatbotsaas/chatbot/command/domain/user"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// UserPatch is an administrator's change to a user; nil fields stay.
type UserPatch struct {
	Name   *string
	Role   *string
	Status *string
}

// locate finds the aggregate of a user by id.
func (id *Identity) locate(ctx context.Context, userID string) (eventstore.Ref, error) {
	owner, err := id.store.Owner(ctx, "user", userID)
	if err != nil {
		return eventstore.Ref{}, err
	}
	tenant, uid, ok := parseReservation(owner)
	if !ok || uid != userID {
		return eventstore.Ref{}, apperr.NotFound("user")
	}
	return userRef(tenant, userID), nil
}

// PatchUser changes a user's name, role or status as one decision.
func (id *Identity) PatchUser(ctx context.Context, userID string, p UserPatch) (user.User, uint64, error) {
	ref, err := id.locate(ctx, userID)
	if err != nil {
		return user.User{}, 0, err
	}
	var errs []apperr.FieldError
	if p.Name != nil {
		name := checkName("name", *p.Name, &errs)
		p.Name = &name
	}
	if len(errs) > 0 {
		return user.User{}, 0, apperr.Validation(errs...)
	}
	var before user.User
	demoted := false
	if p.Role != nil {
		if _, err := id.store.Load(ctx, ref, &before); err != nil {
			return user.User{}, 0, err
		}
		if demoted, err = id.demoteFirst(ctx, before, *p.Role); err != nil {
			return user.User{}, 0, err
		}
	}
	after, res, err := id.updateUser(ctx, ref, p.removesAdmin(), func(u *user.User) (*user.User, []events.Event, error) {
		var evs []events.Event
		steps := []func() ([]events.Event, error){}
		if p.Name != nil {
			steps = append(steps, func() ([]events.Event, error) { return u.Rename(*p.Name) })
		}
		if p.Role != nil {
			steps = append(steps, func() ([]events.Event, error) { return u.ChangeRole(*p.Role) })
		}
		if p.Status != nil {
			steps = append(steps, func() ([]events.Event, error) { return u.SetStatus(*p.Status) })
		}
		for _, step := range steps {
			more, err := step()
			if err != nil {
				return nil, nil, err
			}
			evs = append(evs, more...)
		}
		return u, evs, nil // folded with what is appended
	})
	if err != nil {
		if demoted {
			id.undoDemotion(ctx, before)
		}
		return user.User{}, 0, err
	}
	id.remember(res)
	position := res.Position
	if p.Role != nil {
		pos, err := id.promoteAfter(ctx, before, *p.Role)
		if err != nil {
			return user.User{}, 0, err
		}
		position = max(position, pos)
	}
	return *after, position, nil
}

// DeleteUser deletes a user: its sessions die, its email is free again,
// its password hash is destroyed and so is its data key, which leaves the
// personal fields of its events in the stream unreadable for good.
func (id *Identity) DeleteUser(ctx context.Context, userID string) (uint64, error) {
	ref, err := id.locate(ctx, userID)
	if err != nil {
		return 0, err
	}
	var gone user.User // as it was before: the delete clears it
	_, res, err := id.updateUser(ctx, ref, true, func(u *user.User) (*user.User, []events.Event, error) {
		gone = *u
		evs, err := u.Delete()
		return u, evs, err
	})
	if err != nil {
		return 0, err
	}
	id.remember(res)
	email := gone.Email
	if gone.CompanyID != "" && gone.Role == auth.RoleCompany {
		// Erasure wins over the last-manager rule.
		if _, err := id.changeManagers(ctx, gone.CompanyID, nil, []string{userID}, true); err != nil {
			slog.WarnContext(ctx, "a deleted manager is still listed on its company", "user", userID, "err", err)
		}
	}
	_ = id.store.Release(ctx, "email", email, reservation(ref.Tenant, userID))
	if err := id.erase(ctx, ref.Tenant, userID); err != nil {
		// Deleted all the same; the erasure consumer retries.
		slog.WarnContext(ctx, "erasure deferred", "user", userID, "err", err)
	}
	return res.Position, nil
}

// UnlockUser lifts any lock, temporary or permanent, by an administrator.
func (id *Identity) UnlockUser(ctx context.Context, userID string) (uint64, error) {
	ref, err := id.locate(ctx, userID)
	if err != nil {
		return 0, err
	}
	_, res, err := eventstore.Update(ctx, id.store, ref, eventstore.EventsOnly(func(u *user.User) ([]events.Event, error) {
		if !u.Exists() {
			return nil, apperr.NotFound("user")
		}
		return u.Unlock(id.now(), events.UnlockAdmin), nil
	}))
	return res.Position, err
}
