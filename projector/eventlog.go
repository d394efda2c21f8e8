package projector

import (
	"github.com/chatbotsaas/chatbot/events"
)

// EventLogTable is the audit log read model.
const EventLogTable = "rm_event_log_v1"

// EventLog keeps every event as stored, with its position: the audit log
// the admin API serves.
func EventLog() Projection {
	return Projection{
		Name:   "event_log",
		Tables: []string{EventLogTable},
		Every: func(b *Batch, e events.Envelope, _ any) error {
			var actorID *string
			if e.Actor.ID != "" {
				actorID = &e.Actor.ID
			}
			b.Queue(`INSERT INTO `+EventLogTable+` (tenant_id, position, event_id, type, version, occurred_at,
				aggregate_type, aggregate_id, aggregate_version, actor_type, actor_id, correlation_id, causation_id, data)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULLIF($12, ''), NULLIF($13, ''), $14)
				ON CONFLICT DO NOTHING`,
				e.TenantID, int64(e.Position), e.ID, e.Type, e.Version, e.OccurredAt,
				e.AggregateType, e.AggregateID, e.AggregateVersion, e.Actor.Type, actorID, e.CorrelationID, e.CausationID, []byte(e.Data))
			return nil
		},
	}
}

// All lists the product's projections.
func All() []Projection {
	return []Projection{EventLog(), Users(), LoginAttempts(), Sessions(), Companies(), Chatbots(), APIKeys(), Usage()}
}
