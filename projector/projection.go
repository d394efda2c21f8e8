package projector

import (
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/chatbotsaas/chatbot/events"
)

// Reducer turns one event into read-model statements queued on b. It must
// be idempotent: the framework skips events its checkpoint covers, but a
// rebuild may apply an event to a table that already holds it.
type Reducer func(b *Batch, e events.Envelope, data any) error

// Projection is one read model: a name that never changes (its durable
// consumer and its checkpoint), the tables it owns, and its reducers.
type Projection struct {
	Name   string
	Tables []string
	// Reducers handle the named event types; data is decoded and upcast.
	Reducers map[string]Reducer
	// Every, when set, handles every event, with data left as stored.
	Every Reducer
	// Secure gives the statements that finish a rebuilt copy of one of
	// its tables (named schema-qualified) as its migration finished the
	// live one: row security, policies, grants. Nil: none.
	Secure func(table string) []string
	// Copy, set for a projection that only ever inserts one row per
	// event, lets a rebuild load those rows with COPY.
	Copy *CopyRows
	// Partitions, above 1, consumes the projection in that many
	// partitions by tenant, each its own consumer and checkpoint (see
	// partition.go). Only a projection of typed reducers can be.
	Partitions int

	part *part // set on one partition of a partitioned projection
}

// CopyRows is how an insert-only projection's rows are loaded by COPY. Row
// gives the same values its reducer inserts, so both paths give the same
// rows.
type CopyRows struct {
	Table   string
	Columns []string
	Row     func(e events.Envelope) []any
	// Dedupe, run on the loaded copy (%s is its name) when a unique index
	// cannot be built on it, keeps the row its reducer's ON CONFLICT DO
	// NOTHING would have kept.
	Dedupe string
}

// tenantReadModel is the row security of every tenant-keyed read model,
// defined once by migration 000011.
func tenantReadModel(table string) []string {
	return []string{"SELECT chatbot_tenant_read_model(" + quoteLiteral(table) + "::regclass)"}
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// FilterSubjects are the stream subjects the projection's consumer reads.
func (p Projection) FilterSubjects() []string {
	if p.Every != nil {
		return []string{events.AllFilter}
	}
	out := make([]string, 0, len(p.Reducers))
	for t := range p.Reducers {
		out = append(out, events.TypeFilter(t))
	}
	sort.Strings(out)
	return out
}

// ConsumerSubjects are the filters of the projection's live consumer:
// every event of each aggregate its reducers read (a type the registry
// does not know keeps its own filter). A consumer filtered by type sits
// idle while its aggregate takes events of other types, and each time it
// is woken after the stream began a new block the broker searches every
// subject of the aggregate for its filter, under the lock each append
// waits for: about 200 ms at 100,000 chatbots, a stall of every command.
// A consumer that takes the whole aggregate finds its next event where it
// is; the other types are passed over by subject, without being decoded
// or sent to Postgres (see consumer.commit).
func (p Projection) ConsumerSubjects() []string {
	if p.Every != nil {
		return []string{events.AllFilter}
	}
	set := map[string]struct{}{}
	for t := range p.Reducers {
		f := events.TypeFilter(t)
		if aggregate := events.Default.Aggregate(t); aggregate != "" {
			f = events.Subject("*", aggregate, "*", "*")
		}
		set[f] = struct{}{}
	}
	out := make([]string, 0, len(set))
	for f := range set {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// Reads tells whether an event stored under subject goes to one of the
// projection's reducers, by its type: the subject's last token.
func (p Projection) Reads(subject string) bool {
	if p.Every != nil {
		return true
	}
	_, ok := p.Reducers[subject[strings.LastIndexByte(subject, '.')+1:]]
	return ok
}

// Batch collects the statements of the events of one fetched batch, to be
// sent to Postgres in one round trip inside the batch's transaction. It
// remembers which event queued which statement, so a failing statement
// names its event.
type Batch struct {
	pgx     pgx.Batch
	owners  []int
	event   int
	tenants map[string]struct{} // of the events reduced, for Invalidate
}

// Queue adds a statement for the current event.
func (b *Batch) Queue(sql string, args ...any) {
	b.pgx.Queue(sql, args...)
	b.owners = append(b.owners, b.event)
}

// setColumn is a reducer that sets one column of the aggregate's row
// (keyed tenant_id, id) to value(data), unless the row already reflects a
// later event.
func setColumn(table, column string, value func(data any) any) Reducer {
	return func(b *Batch, e events.Envelope, data any) error {
		b.Queue(`UPDATE `+table+` SET `+column+` = $5, updated_at = $3, position = $4
			WHERE tenant_id = $1 AND id = $2 AND position < $4`, e.TenantID, e.AggregateID, e.OccurredAt, int64(e.Position), value(data))
		return nil
	}
}

// constant is a value for setColumn that ignores the event's data.
func constant(v any) func(any) any { return func(any) any { return v } }
