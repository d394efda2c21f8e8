package app

import (
	"context"

	"github.com/chatbotsaas/chatbot/command/domain/session"
	"github.com/chatbotsaas/chatbot/command/domain/user"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// Logout revokes the caller's session, or every session of the caller.
// Its access tokens stop working at once.
func (id *Identity) Logout(ctx context.Context, p auth.Principal, all bool) (uint64, error) {
	var res eventstore.Appended
	var err error
	if all {
		_, res, err = eventstore.Update(ctx, id.store, userRef(p.Tenant(), p.UserID), eventstore.EventsOnly(func(u *user.User) ([]events.Event, error) {
			return u.RevokeSessions(id.now(), "", "logout")
		}))
	} else {
		ref := eventstore.Ref{Tenant: p.Tenant(), Type: events.AggregateSession, ID: p.SessionID}
		_, res, err = eventstore.Update(ctx, id.store, ref, eventstore.EventsOnly(func(s *session.Session) ([]events.Event, error) {
			return s.Revoke("logout"), nil
		}))
	}
	if err != nil {
		return 0, err
	}
	id.remember(res)
	return res.Position, nil
}
