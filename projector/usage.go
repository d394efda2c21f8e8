package projector

import (
	"time"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/readmodel"
)

// The usage read models: calls per API key and hour, and their roll-ups
// per day and per month (UTC), kept as usage arrives.
const (
	UsageHourlyTable  = readmodel.UsageHourlyTable
	UsageDailyTable   = readmodel.UsageDailyTable
	UsageMonthlyTable = readmodel.UsageMonthlyTable
)

// Usage sums UsageRecorded into one row per (company, chatbot, key, hour).
//
// Each event adds to its row, so applying one twice would count it twice.
// The framework's checkpoint applies each event once, and a rebuild
// replays into an empty copy; the row's position backs that up: events
// reach a row in stream order, so one at or below the row's position has
// been added already and changes nothing.
func Usage() Projection {
	return Projection{
		Name:   "usage",
		Tables: []string{UsageHourlyTable, UsageDailyTable, UsageMonthlyTable},
		Secure: tenantReadModel,
		Reducers: map[string]Reducer{
			events.UsageRecorded: func(b *Batch, e events.Envelope, data any) error {
				d := data.(*events.UsageRecordedData)
				b.Queue(`INSERT INTO `+UsageHourlyTable+` AS rm (tenant_id, chatbot_id, api_key_id, hour,
					requests, units, last_used_at, updated_at, position)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
					ON CONFLICT (tenant_id, chatbot_id, api_key_id, hour) DO UPDATE SET
						requests = rm.requests + EXCLUDED.requests,
						units = rm.units + EXCLUDED.units,
						last_used_at = GREATEST(rm.last_used_at, EXCLUDED.last_used_at),
						updated_at = GREATEST(rm.updated_at, EXCLUDED.updated_at),
						position = EXCLUDED.position
					WHERE rm.position < EXCLUDED.position`,
					e.TenantID, d.ChatbotID, d.APIKeyID, d.Hour.UTC().Truncate(time.Hour),
					d.Requests, d.Units, d.LastUsedAt, e.OccurredAt, int64(e.Position))
				hour := d.Hour.UTC()
				day := time.Date(hour.Year(), hour.Month(), hour.Day(), 0, 0, 0, 0, time.UTC)
				rollUp(b, UsageDailyTable, "day", day, e, d)
				rollUp(b, UsageMonthlyTable, "month", day.AddDate(0, 0, 1-day.Day()), e, d)
				return nil
			},
		},
	}
}

// rollUp adds the event to its row of a roll-up table, once: as for the
// hours, an event at or below the row's position is in it already.
func rollUp(b *Batch, table, column string, start time.Time, e events.Envelope, d *events.UsageRecordedData) {
	b.Queue(`INSERT INTO `+table+` AS rm (tenant_id, chatbot_id, api_key_id, `+column+`, requests, units, updated_at, position)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (tenant_id, chatbot_id, api_key_id, `+column+`) DO UPDATE SET
			requests = rm.requests + EXCLUDED.requests,
			units = rm.units + EXCLUDED.units,
			updated_at = GREATEST(rm.updated_at, EXCLUDED.updated_at),
			position = EXCLUDED.position
		WHERE rm.position < EXCLUDED.position`,
		e.TenantID, d.ChatbotID, d.APIKeyID, start, d.Requests, d.Units, e.OccurredAt, int64(e.Position))
}
