package tasks

import (
	"context"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/mail"
	"github.com/chatbotsaas/chatbot/shared/taskrouter"
)

const apiKeyIssuedTask = "mail_api_key_issued"

// apiKeyIssued mails each manager of the company when a key is made: its
// name, prefix and chatbot. The event holds only the key's hash: the
// secret cannot be mailed.
func (n *Notifier) apiKeyIssued() taskrouter.Handler {
	return taskrouter.Handler{
		Name: apiKeyIssuedTask, Description: "mails the company's managers when an API key is made", FromNow: true,
		Subjects: []string{events.Subject("*", events.AggregateChatbot, "*", events.ApiKeyIssued)},
		Do: func(ctx context.Context, m taskrouter.Message) error {
			env, data, err := decode[events.ApiKeyIssuedData](m)
			if err != nil {
				return err
			}
			chatbot, company, err := n.names(ctx, env.TenantID, env.AggregateID, env.Position)
			if err != nil {
				return err
			}
			d := mail.APIKeyData{Product: mail.Product, Chatbot: chatbot, Company: company, KeyName: data.Name,
				Prefix: data.Prefix, Last4: data.Last4, ConsoleURL: n.PublicURL}
			if data.ExpiresAt != nil {
				d.ExpiresAt = utc(*data.ExpiresAt)
			}
			return n.toManagers(ctx, apiKeyIssuedTask, env, mail.APIKeyIssued, func(r recipient) any {
				d.Name = r.Name
				return d
			})
		},
	}
}

// toManagers mails each manager once; a failure for one leaves the others
// sent, and the retry mails only who is left.
func (n *Notifier) toManagers(ctx context.Context, task string, env events.Envelope, name string, data func(recipient) any) error {
	managers, err := n.managers(ctx, env.TenantID, env.Position)
	if err != nil {
		return err
	}
	for _, r := range managers {
		if err := n.send(ctx, task, env.ID, r, name, data(r)); err != nil {
			return err
		}
	}
	return nil
}
