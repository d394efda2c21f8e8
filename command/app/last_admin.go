package app

import (
	"context"

	"github.com/chatbotsaas/chatbot/command/domain/user"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// ErrLastAdmin refuses a change that would leave the platform without an
// active admin, whoever asks, the admin itself included.
var ErrLastAdmin = apperr.New(apperr.KindConflict, "conflict",
	"this is the last active admin: make another admin before disabling, demoting or deleting it")

// admins is every platform user: the admins, active or not.
var admins = eventstore.Scope{Tenant: events.PlatformTenant, Type: events.AggregateUser}

// Admins keeps the platform from losing its last active admin.
type Admins struct{ Store *eventstore.Store }

// update decides on the user at ref. When the change takes an admin
// out of service (removes), the decision counts the other active admins
// and is made in the scope of all admins, so two admins disabling each
// other at once cannot both succeed.
func (a Admins) update(ctx context.Context, ref eventstore.Ref, removes bool, decide eventstore.Decision[*user.User, *user.User]) (*user.User, eventstore.Appended, error) {
	if !removes || ref.Tenant != admins.Tenant {
		return eventstore.Update(ctx, a.Store, ref, decide)
	}
	return eventstore.UpdateInScope(ctx, a.Store, admins, ref, func(u *user.User) (*user.User, []events.Event, error) {
		if activeAdmin(u) {
			others, err := a.anotherActive(ctx, u.ID)
			if err != nil {
				return nil, nil, err
			}
			if !others {
				return nil, nil, ErrLastAdmin
			}
		}
		return decide(u)
	})
}

func activeAdmin(u *user.User) bool { return u.Status == user.StatusActive && u.Role == auth.RoleAdmin }

// anotherActive reports whether an active admin other than self exists.
func (a Admins) anotherActive(ctx context.Context, self string) (bool, error) {
	ids, err := a.Store.IDs(ctx, admins, events.UserRegistered)
	if err != nil {
		return false, err
	}
	for _, other := range ids {
		if other == self {
			continue
		}
		var u user.User
		if _, err := a.Store.Load(ctx, userRef(admins.Tenant, other), &u); err != nil {
			return false, err
		}
		if activeAdmin(&u) {
			return true, nil
		}
	}
	return false, nil
}

// removesAdmin reports whether a patch would take an admin out of service.
func (p UserPatch) removesAdmin() bool {
	return (p.Role != nil && *p.Role != auth.RoleAdmin) || (p.Status != nil && *p.Status != user.StatusActive)
}
