package query

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/jackc/pgx/v5"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/readmodel"
	"github.com/chatbotsaas/chatbot/shared/auth"
)

// AuditEvent is one stored event with its position.
type AuditEvent struct {
	Position uint64 `json:"position"`
	events.Envelope
}

type listEventsInput struct {
	ReadHeaders
	Limit         int       `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Cursor        string    `query:"cursor" maxLength:"20" doc:"next_cursor of the previous page"`
	AfterPosition uint64    `query:"after_position" doc:"only events after this stream position"`
	Type          string    `query:"type" maxLength:"100"`
	AggregateType string    `query:"aggregate_type" maxLength:"100"`
	AggregateID   string    `query:"aggregate_id" maxLength:"100"`
	CompanyID     string    `query:"company_id" maxLength:"100"`
	ActorID       string    `query:"actor_id" maxLength:"100"`
	From          time.Time `query:"from" doc:"occurred at or after (RFC 3339)"`
	To            time.Time `query:"to" doc:"occurred before (RFC 3339)"`
}

func (s *Side) registerAdminEvents(api huma.API) {
	huma.Register(api, auth.Require(huma.Operation{
		OperationID: "list-events", Method: http.MethodGet, Path: "/v1/admin/events", Tags: []string{"Admin"},
		Summary: "The audit log: every event as stored, oldest first; secrets (token and key hashes) are redacted",
		Description: "Each item's data is upcast to its type's current version. A field that holds a secret reads \"[redacted]\"; " +
			"the data of a type this build does not know is \"[redacted]\" whole. `actor_id` finds what one user or API key caused.",
	}, auth.PermAuditRead), s.listEvents)
}

func (s *Side) listEvents(ctx context.Context, in *listEventsInput) (*readOutput[List[AuditEvent]], error) {
	pool, err := s.reads(ctx, in.MinPosition, readmodel.EventLog)
	if err != nil {
		return nil, err
	}
	after := in.AfterPosition
	if in.Cursor != "" {
		c, err := strconv.ParseUint(in.Cursor, 10, 64)
		if err != nil {
			return nil, errBadCursor
		}
		after = max(after, c)
	}
	f := &filters{}
	add := f.add
	add("position > ?", int64(after))
	for cond, v := range map[string]string{"type = ?": in.Type, "aggregate_type = ?": in.AggregateType,
		"aggregate_id = ?": in.AggregateID, "tenant_id = ?": in.CompanyID, "actor_id = ?": in.ActorID} {
		if v != "" {
			add(cond, v)
		}
	}
	if !in.From.IsZero() {
		add("occurred_at >= ?", in.From)
	}
	if !in.To.IsZero() {
		add("occurred_at < ?", in.To)
	}
	where, args := f.sql("position", in.Limit+1)
	rows, err := pool.Query(ctx, eventsSQL+" "+where, args...)
	l, err := collectPage(rows, err, in.Limit, func(r pgx.CollectableRow) (AuditEvent, error) {
		var e AuditEvent
		var pos int64
		var data []byte
		err := r.Scan(&pos, &e.ID, &e.Type, &e.Version, &e.OccurredAt, &e.TenantID, &e.AggregateType, &e.AggregateID,
			&e.AggregateVersion, &e.Actor.Type, &e.Actor.ID, &e.CorrelationID, &e.CausationID, &data)
		e.Position, e.Data = uint64(pos), data
		e.Envelope = events.Default.Redact(e.Envelope)
		e.OccurredAt = e.OccurredAt.UTC()
		return e, err
	}, func(e AuditEvent) string { return strconv.FormatUint(e.Position, 10) })
	if err != nil {
		return nil, err
	}
	return answerValue(in.Revalidate, l)
}
