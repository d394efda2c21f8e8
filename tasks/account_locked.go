package tasks

import (
	"context"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/mail"
	"github.com/chatbotsaas/chatbot/shared/taskrouter"
)

const accountLockedTask = "mail_account_locked"

// accountLocked mails the account when it is locked: until when, that it
// may not have been the user, and the page that asks for a reset link.
// The mail links to that page rather than carrying a token: anyone can
// lock anyone, and each lock minting a live reset link would put links
// in mailboxes nobody asked for; the owner asks for one in a click.
func (n *Notifier) accountLocked() taskrouter.Handler {
	return taskrouter.Handler{
		Name: accountLockedTask, Description: "mails the account when it is locked", FromNow: true,
		Subjects: []string{events.Subject("*", events.AggregateUser, "*", events.AccountLocked)},
		Do: func(ctx context.Context, m taskrouter.Message) error {
			env, data, err := decode[events.AccountLockedData](m)
			if err != nil {
				return err
			}
			to, ok, err := n.user(ctx, env.TenantID, env.AggregateID)
			if err != nil || !ok {
				return err
			}
			d := mail.LockedData{Name: to.Name, Product: mail.Product, Failures: data.Failures, Permanent: data.Permanent,
				ResetURL: n.ResetURL, ResetMinutes: n.resetMinutes()}
			if data.Until != nil {
				d.Until = utc(*data.Until)
			}
			return n.send(ctx, accountLockedTask, env.ID, to, mail.AccountLocked, d)
		},
	}
}
