package projector

import (
	"strconv"
	"strings"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/readmodel"
)

// EventLogTable is the audit log read model.
const EventLogTable = readmodel.EventLogTable

// eventLogColumns are the columns of one event's row, in eventLogRow's order.
var eventLogColumns = []string{"tenant_id", "position", "event_id", "type", "version", "occurred_at",
	"aggregate_type", "aggregate_id", "aggregate_version", "actor_type", "actor_id", "correlation_id", "causation_id", "data"}

// eventLogRow is the row of one event, for the reducer and for COPY alike.
func eventLogRow(e events.Envelope) []any {
	return []any{e.TenantID, int64(e.Position), e.ID, e.Type, e.Version, e.OccurredAt,
		e.AggregateType, e.AggregateID, e.AggregateVersion, e.Actor.Type, nullIfEmpty(e.Actor.ID),
		nullIfEmpty(e.CorrelationID), nullIfEmpty(e.CausationID), []byte(e.Data)}
}

func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// eventLogInsert inserts one row; an event published twice (beyond the
// stream's duplicate window) keeps its first position.
var eventLogInsert = func() string {
	params := make([]string, len(eventLogColumns))
	for i := range params {
		params[i] = "$" + strconv.Itoa(i+1)
	}
	return `INSERT INTO ` + EventLogTable + ` (` + strings.Join(eventLogColumns, ", ") + `) VALUES (` +
		strings.Join(params, ", ") + `) ON CONFLICT DO NOTHING`
}()

// EventLog keeps every event as stored, with its position: the audit log
// the admin API serves. It only inserts, so a rebuild loads it by COPY.
func EventLog() Projection {
	return Projection{
		Name:   "event_log",
		Tables: []string{EventLogTable},
		Secure: tenantReadModel,
		Every: func(b *Batch, e events.Envelope, _ any) error {
			b.Queue(eventLogInsert, eventLogRow(e)...)
			return nil
		},
		Copy: &CopyRows{Table: EventLogTable, Columns: eventLogColumns, Row: eventLogRow,
			Dedupe: `DELETE FROM %s a USING %[1]s b WHERE a.event_id = b.event_id AND a.position > b.position`},
	}
}

// All lists the product's projections.
func All() []Projection {
	return []Projection{EventLog(), Users(), LoginAttempts(), Sessions(), Companies(), Chatbots(), APIKeys(), Usage()}
}

// Lookup finds a product projection by name.
func Lookup(name string) (Projection, bool) {
	for _, p := range All() {
		if p.Name == name {
			return p, true
		}
	}
	return Projection{}, false
}
