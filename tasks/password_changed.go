package tasks

import (
	"context"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/mail"
	"github.com/chatbotsaas/chatbot/shared/taskrouter"
)

const passwordChangedTask = "mail_password_changed"

// passwordChanged mails the account after its password changed, by
// itself, an administrator or a reset, with the way back if it was not
// the user.
func (n *Notifier) passwordChanged() taskrouter.Handler {
	return taskrouter.Handler{
		Name: passwordChangedTask, Description: "mails the account after a password change or reset", FromNow: true,
		Subjects: []string{events.Subject("*", events.AggregateUser, "*", events.PasswordChanged)},
		Do: func(ctx context.Context, m taskrouter.Message) error {
			env, data, err := decode[events.PasswordChangedData](m)
			if err != nil {
				return err
			}
			to, ok, err := n.user(ctx, env.TenantID, env.AggregateID)
			if err != nil || !ok {
				return err
			}
			return n.send(ctx, passwordChangedTask, env.ID, to, mail.PasswordChanged, mail.PasswordChangedData{
				Name: to.Name, Product: mail.Product, Reset: data.By == "reset", ByAdmin: data.By == "admin",
				SignedOut: data.By != "self", At: utc(env.OccurredAt), ResetURL: n.ResetURL,
			})
		},
	}
}
