package tasks

import (
	"context"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/auth"
	"github.com/chatbotsaas/chatbot/shared/mail"
	"github.com/chatbotsaas/chatbot/shared/taskrouter"
)

const passwordResetTask = "mail_password_reset"

// passwordReset mails the reset link a request recorded. The token is made
// again from the request (auth.ResetToken): it was never stored.
func (n *Notifier) passwordReset() taskrouter.Handler {
	return taskrouter.Handler{
		Name: passwordResetTask, Description: "mails password reset links", FromNow: true,
		Subjects: []string{events.Subject("*", events.AggregateUser, "*", events.PasswordResetRequested)},
		Do: func(ctx context.Context, m taskrouter.Message) error {
			env, data, err := decode[events.PasswordResetRequestedData](m)
			if err != nil {
				return err
			}
			if !time.Now().Before(data.ExpiresAt) {
				// Late (a retried dead letter): the link would not work.
				slog.InfoContext(ctx, "expired reset link not mailed", "user", env.AggregateID)
				return nil
			}
			to, ok, err := n.user(ctx, env.TenantID, env.AggregateID)
			if err != nil || !ok {
				return err
			}
			token := auth.ResetToken(n.ResetKey, env.TenantID, env.AggregateID, data.RequestID)
			return n.send(ctx, passwordResetTask, env.ID, to, mail.PasswordReset, mail.PasswordResetData{
				Name: to.Name, Product: mail.Product, Link: withToken(n.ResetURL, token),
				ResetMinutes: int(data.ExpiresAt.Sub(env.OccurredAt).Round(time.Minute) / time.Minute),
			})
		},
	}
}

// withToken is PASSWORD_RESET_URL?token=<token>, keeping a query it has.
func withToken(page, token string) string {
	sep := "?"
	if strings.Contains(page, "?") {
		sep = "&"
	}
	return page + sep + "token=" + url.QueryEscape(token)
}
