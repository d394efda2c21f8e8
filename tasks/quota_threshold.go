package tasks

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/projector"
	"github.com/chatbotsaas/chatbot/shared/mail"
	"github.com/chatbotsaas/chatbot/shared/taskrouter"
)

const quotaThresholdTask = "mail_quota_threshold"

// quotaThreshold mails each manager when a chatbot reaches 80 % or 100 %
// of a daily or monthly quota (the event comes once per period and
// threshold).
func (n *Notifier) quotaThreshold() taskrouter.Handler {
	return taskrouter.Handler{
		Name: quotaThresholdTask, Description: "mails the company's managers at 80 % and 100 % of a quota", FromNow: true,
		Subjects: []string{events.Subject("*", events.AggregateUsage, "*", events.QuotaThresholdReached)},
		Do: func(ctx context.Context, m taskrouter.Message) error {
			env, data, err := decode[events.QuotaThresholdReachedData](m)
			if err != nil {
				return err
			}
			chatbot, company, err := n.names(ctx, env.TenantID, data.ChatbotID, env.Position)
			if err != nil {
				return err
			}
			d := mail.QuotaData{Product: mail.Product, Chatbot: chatbot, Company: company, Used: data.Used, Limit: data.Limit,
				Threshold: data.Threshold, Period: data.Period, PeriodStart: utc(data.PeriodStart), ConsoleURL: n.PublicURL}
			return n.toManagers(ctx, quotaThresholdTask, env, mail.QuotaThreshold, func(r recipient) any {
				d.Name = r.Name
				return d
			})
		},
	}
}

// names reads the chatbot's and its company's names; a chatbot not yet
// projected is waited for by the retry.
func (n *Notifier) names(ctx context.Context, tenant, chatbotID string, position uint64) (chatbot, company string, err error) {
	if err := n.await(ctx, position, "chatbots", "companies"); err != nil {
		return "", "", err
	}
	err = n.Pool.QueryRow(ctx, `SELECT b.name, coalesce(c.name, '') FROM `+projector.ChatbotsTable+` b
		LEFT JOIN `+projector.CompaniesTable+` c ON c.tenant_id = b.tenant_id AND c.id::text = b.tenant_id
		WHERE b.tenant_id = $1 AND b.id = $2::text::uuid`, tenant, chatbotID).Scan(&chatbot, &company)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", fmt.Errorf("%w: the chatbot %s is not in the read model", taskrouter.ErrCannotDo, chatbotID)
	}
	return chatbot, company, err
}
