package app

import (
	"context"
	"time"

	"github.com/chatbotsaas/chatbot/command/domain/session"
	"github.com/chatbotsaas/chatbot/command/domain/user"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// LogoutCmd ends the caller's session, or all of them.
type LogoutCmd struct {
	Principal auth.Principal
	All       bool
}

// Logout revokes the caller's session, or every session of the caller.
// Its access tokens stop working at once.
type Logout struct {
	Store   *eventstore.Store
	Revoked *auth.Revocations
	Now     func() time.Time
}

// Handle logs out.
func (h Logout) Handle(ctx context.Context, cmd LogoutCmd) (uint64, error) {
	p := cmd.Principal
	var res eventstore.Appended
	var err error
	if cmd.All {
		_, res, err = eventstore.Update(ctx, h.Store, userRef(p.Tenant(), p.UserID), eventstore.EventsOnly(func(u *user.User) ([]events.Event, error) {
			return u.RevokeSessions(h.Now(), "", "logout")
		}))
	} else {
		_, res, err = eventstore.Update(ctx, h.Store, sessionRef(p.Tenant(), p.SessionID), eventstore.EventsOnly(func(s *session.Session) ([]events.Event, error) {
			return s.Revoke("logout"), nil
		}))
	}
	if err != nil {
		return 0, err
	}
	remember(h.Revoked, res)
	return res.Position, nil
}
