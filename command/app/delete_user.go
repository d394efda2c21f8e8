package app

import (
	"context"
	"log/slog"

	"github.com/chatbotsaas/chatbot/command/domain/user"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// DeleteUser deletes a user: its sessions die, its email is free again,
// its password hash is destroyed and so is its data key, which leaves the
// personal fields of its events in the stream unreadable for good. Once
// UserDeleted is stored the rest follows it: a manager leaves its company
// (erasure wins over the last-manager rule), and what the erasure here
// misses the erasure task finishes.
type DeleteUser struct {
	Store    *eventstore.Store
	Admins   Admins
	Managers Managers
	Eraser   Eraser
	Revoked  *auth.Revocations
}

// DeleteUserCmd names the user.
type DeleteUserCmd struct{ UserID string }

// Handle deletes the user and answers its UserDeleted's position.
func (h DeleteUser) Handle(ctx context.Context, cmd DeleteUserCmd) (uint64, error) {
	ref, err := locateUser(ctx, h.Store, cmd.UserID)
	if err != nil {
		return 0, err
	}
	gone, res, err := h.Admins.update(ctx, ref, true, func(u *user.User) (*user.User, []events.Event, error) {
		before := *u // as it was: the delete clears it
		evs, err := u.Delete()
		return &before, evs, err
	})
	if err != nil {
		return 0, err
	}
	remember(h.Revoked, res)
	if gone.CompanyID != "" && gone.Role == auth.RoleCompany {
		if _, err := h.Managers.change(ctx, gone.CompanyID, nil, []string{cmd.UserID}, true); err != nil {
			slog.WarnContext(ctx, "a deleted manager is still listed on its company", "user", cmd.UserID, "err", err)
		}
	}
	if err := h.Store.Release(ctx, "email", gone.Email, reservation(ref.Tenant, cmd.UserID)); err != nil {
		slog.WarnContext(ctx, "a deleted user's email is still reserved", "user", cmd.UserID, "err", err)
	}
	if err := h.Eraser.erase(ctx, ref.Tenant, cmd.UserID); err != nil {
		// Deleted all the same; the erasure consumer retries.
		slog.WarnContext(ctx, "erasure deferred", "user", cmd.UserID, "err", err)
	}
	return res.Position, nil
}
