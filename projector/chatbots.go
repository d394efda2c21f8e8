package projector

import (
	"encoding/json"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/readmodel"
)

// Tables of the chatbot read models.
const (
	ChatbotsTable = readmodel.ChatbotsTable
	APIKeysTable  = readmodel.APIKeysTable
)

// Chatbots keeps one row per live chatbot; a deleted one is removed.
func Chatbots() Projection {
	status := func(s string) Reducer { return setColumn(ChatbotsTable, "status", constant(s)) }
	return Projection{
		Name:   "chatbots",
		Tables: []string{ChatbotsTable},
		Secure: tenantReadModel,
		Reducers: map[string]Reducer{
			events.ChatbotCreated: func(b *Batch, e events.Envelope, data any) error {
				d := data.(*events.ChatbotCreatedData)
				settings, err := json.Marshal(d.Settings)
				if err != nil {
					return err
				}
				b.Queue(`INSERT INTO `+ChatbotsTable+` (tenant_id, id, name, description, settings, status, created_at, updated_at, position)
					VALUES ($1, $2, $3, $4, $5, 'active', $6, $6, $7) ON CONFLICT DO NOTHING`,
					e.TenantID, e.AggregateID, d.Name, d.Description, settings, e.OccurredAt, int64(e.Position))
				return nil
			},
			events.ChatbotUpdated: func(b *Batch, e events.Envelope, data any) error {
				d := data.(*events.ChatbotUpdatedData)
				var settings []byte
				if d.Settings != nil {
					var err error
					if settings, err = json.Marshal(d.Settings); err != nil {
						return err
					}
				}
				b.Queue(`UPDATE `+ChatbotsTable+` SET name = COALESCE($3, name), description = COALESCE($4, description),
					settings = COALESCE($5::jsonb, settings), updated_at = $6, position = $7
					WHERE tenant_id = $1 AND id = $2 AND position < $7`,
					e.TenantID, e.AggregateID, d.Name, d.Description, settings, e.OccurredAt, int64(e.Position))
				return nil
			},
			events.ChatbotPaused:  status("paused"),
			events.ChatbotResumed: status("active"),
			events.ChatbotDeleted: func(b *Batch, e events.Envelope, _ any) error {
				b.Queue(`DELETE FROM `+ChatbotsTable+` WHERE tenant_id = $1 AND id = $2`, e.TenantID, e.AggregateID)
				return nil
			},
			events.ChatbotLimitsSet: func(b *Batch, e events.Envelope, data any) error {
				l := data.(*events.ChatbotLimitsSetData).Limits
				b.Queue(`UPDATE `+ChatbotsTable+` SET requests_per_minute = $3, daily_requests = $4, monthly_requests = $5,
					updated_at = $6, position = $7 WHERE tenant_id = $1 AND id = $2 AND position < $7`,
					e.TenantID, e.AggregateID, l.RequestsPerMinute, l.DailyRequests, l.MonthlyRequests, e.OccurredAt, int64(e.Position))
				return nil
			},
		},
	}
}

// APIKeys keeps one row per key: what identifies it, never the secret, and
// when it was last used (from usage records, not from every call).
func APIKeys() Projection {
	return Projection{
		Name:   "api_keys",
		Tables: []string{APIKeysTable},
		Secure: tenantReadModel,
		Reducers: map[string]Reducer{
			events.ApiKeyIssued: func(b *Batch, e events.Envelope, data any) error {
				d := data.(*events.ApiKeyIssuedData)
				b.Queue(`INSERT INTO `+APIKeysTable+` (tenant_id, id, chatbot_id, name, prefix, last4, expires_at, created_at, position)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
					e.TenantID, d.KeyID, e.AggregateID, d.Name, d.Prefix, d.Last4, d.ExpiresAt, e.OccurredAt, int64(e.Position))
				return nil
			},
			events.ApiKeyLimitsSet: func(b *Batch, e events.Envelope, data any) error {
				d := data.(*events.ApiKeyLimitsSetData)
				b.Queue(`UPDATE `+APIKeysTable+` SET requests_per_minute = $3, daily_requests = $4, monthly_requests = $5, position = $6
					WHERE tenant_id = $1 AND id = $2 AND position < $6`,
					e.TenantID, d.KeyID, d.Limits.RequestsPerMinute, d.Limits.DailyRequests, d.Limits.MonthlyRequests, int64(e.Position))
				return nil
			},
			events.ApiKeyRevoked: func(b *Batch, e events.Envelope, data any) error {
				b.Queue(`UPDATE `+APIKeysTable+` SET revoked_at = $3, position = $4 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL`,
					e.TenantID, data.(*events.ApiKeyRevokedData).KeyID, e.OccurredAt, int64(e.Position))
				return nil
			},
			events.ChatbotDeleted: func(b *Batch, e events.Envelope, _ any) error {
				b.Queue(`DELETE FROM `+APIKeysTable+` WHERE tenant_id = $1 AND chatbot_id = $2`, e.TenantID, e.AggregateID)
				return nil
			},
			events.UsageRecorded: func(b *Batch, e events.Envelope, data any) error {
				d := data.(*events.UsageRecordedData)
				b.Queue(`UPDATE `+APIKeysTable+` SET last_used_at = GREATEST(last_used_at, $3) WHERE tenant_id = $1 AND id = $2`,
					e.TenantID, d.APIKeyID, d.LastUsedAt)
				return nil
			},
		},
	}
}
