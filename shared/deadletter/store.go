package deadletter

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/chatbotsaas/chatbot/events"
)

// DB is a pool or a transaction.
type DB interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Errors of Get, Lock and the retries.
var (
	ErrNotFound = errors.New("no such dead letter")
	ErrResolved = errors.New("the dead letter is already resolved")
)

// insertSQL parks a letter once: a message parked again (a rebuild
// meeting the event, a task redelivered because its termination was lost)
// keeps its first row and id, with the new failure and tries added. A
// letter that had been retried opens again: its message has failed since.
// A discarded one stays as it was.
const insertSQL = `INSERT INTO dead_letters (id, kind, projection, position, event_id, event_type, subject, tenant_id, payload, error, attempts, headers)
	VALUES ($1, $2, $3, $4, $5::text::uuid, $6, $7, $8, $9, $10, $11, $12)
	ON CONFLICT (projection, position) DO UPDATE SET resolved_at = NULL, resolution = NULL, resolved_by_type = NULL,
		resolved_by = NULL, error = EXCLUDED.error, attempts = dead_letters.attempts + EXCLUDED.attempts, last_tried_at = now()
	WHERE dead_letters.resolution IS DISTINCT FROM 'discarded'`

// Insert is the statement that parks l, for a caller that batches it
// with other writes (a projection's batch, in its transaction).
func (l Letter) Insert() (string, []any) {
	var headers []byte
	if len(l.Headers) > 0 {
		headers, _ = json.Marshal(l.Headers) // a map of string slices always encodes
	}
	return insertSQL, []any{l.ID, l.Kind, l.Consumer, int64(l.Position), l.EventID, l.EventType, l.Subject,
		l.TenantID, l.Payload, l.Error, l.Attempts, headers}
}

// Park stores l. It is what every consumer calls once a message has used
// up its retries; parking the same message again changes nothing.
func Park(ctx context.Context, db DB, l Letter) error {
	sql, args := l.Insert()
	_, err := db.Exec(ctx, sql, args...)
	return err
}

const columns = `seq, id::text, projection, kind, position, event_id::text, event_type, subject, tenant_id, error, attempts,
	created_at, last_tried_at, resolved_at, resolution, resolved_by_type, resolved_by, payload, headers`

func scan(r pgx.Row) (Letter, error) {
	var l Letter
	var pos int64
	var byType, byID *string
	var headers []byte
	err := r.Scan(&l.Seq, &l.ID, &l.Consumer, &l.Kind, &pos, &l.EventID, &l.EventType, &l.Subject, &l.TenantID, &l.Error,
		&l.Attempts, &l.ParkedAt, &l.LastTriedAt, &l.ResolvedAt, &l.Resolution, &byType, &byID, &l.Payload, &headers)
	if errors.Is(err, pgx.ErrNoRows) {
		return l, ErrNotFound
	}
	if err == nil && headers != nil {
		err = json.Unmarshal(headers, &l.Headers)
	}
	l.Position = uint64(pos)
	if byType != nil && byID != nil {
		l.ResolvedBy = &events.Actor{Type: *byType, ID: *byID}
	}
	return l, err
}

// Get returns the letter id, or ErrNotFound.
func Get(ctx context.Context, db DB, id string) (Letter, error) {
	if uuid.Validate(id) != nil {
		return Letter{}, ErrNotFound
	}
	return scan(db.QueryRow(ctx, `SELECT `+columns+` FROM dead_letters WHERE id = $1::text::uuid`, id))
}

// Lock returns the open letter id of consumer and holds its row for tx,
// so that one retry or discard at a time resolves it. It answers
// ErrNotFound for another consumer's letter, ErrResolved for a resolved one.
func Lock(ctx context.Context, tx pgx.Tx, consumer, id string) (Letter, error) {
	if uuid.Validate(id) != nil {
		return Letter{}, ErrNotFound
	}
	l, err := scan(tx.QueryRow(ctx, `SELECT `+columns+` FROM dead_letters
		WHERE id = $1::text::uuid AND ($2 = '' OR projection = $2) FOR UPDATE`, id, consumer))
	if err == nil && !l.Open() {
		return l, ErrResolved
	}
	return l, err
}

// Resolve marks the letter id resolved by actor.
func Resolve(ctx context.Context, db DB, id, resolution string, actor events.Actor) error {
	_, err := db.Exec(ctx, `UPDATE dead_letters SET resolved_at = now(), resolution = $2, resolved_by_type = $3, resolved_by = $4,
		last_tried_at = CASE WHEN $2 = 'retried' THEN now() ELSE last_tried_at END
		WHERE id = $1::text::uuid AND resolved_at IS NULL`, id, resolution, actor.Type, actor.ID)
	return err
}

// RecordFailure counts a retry that failed, with its reason.
func RecordFailure(ctx context.Context, db DB, id, reason string) error {
	_, err := db.Exec(ctx, `UPDATE dead_letters SET attempts = attempts + 1, error = $2, last_tried_at = now()
		WHERE id = $1::text::uuid`, id, reason)
	return err
}

// Filter selects letters for List.
type Filter struct {
	Consumer string // "" for every consumer
	Resolved *bool  // nil for both
	Cursor   string // from a previous page's next cursor
	Limit    int
}

// ErrBadCursor is a cursor List did not give.
var ErrBadCursor = errors.New("the cursor is not one this API gave")

// List returns letters in the order they were parked, a page at a time,
// with the cursor of the next page (nil on the last).
func List(ctx context.Context, db DB, f Filter) ([]Letter, *string, error) {
	after := int64(0)
	if f.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(f.Cursor)
		if after, err = strconv.ParseInt(string(b), 10, 64); err != nil || after < 0 {
			return nil, nil, ErrBadCursor
		}
	}
	rows, err := db.Query(ctx, `SELECT `+columns+` FROM dead_letters
		WHERE seq > $1 AND ($2 = '' OR projection = $2) AND ($3::boolean IS NULL OR (resolved_at IS NOT NULL) = $3)
		ORDER BY seq LIMIT $4`, after, f.Consumer, f.Resolved, f.Limit+1)
	if err != nil {
		return nil, nil, err
	}
	items, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Letter, error) { return scan(r) })
	if err != nil {
		return nil, nil, err
	}
	var next *string
	if len(items) > f.Limit {
		items = items[:f.Limit]
		c := base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(items[len(items)-1].Seq, 10)))
		next = &c
	}
	return append([]Letter{}, items...), next, nil
}

// Rebuilt is the actor of letters a rebuild resolved.
var Rebuilt = events.Actor{Type: events.ActorSystem, ID: "rebuild"}

// ResolveRebuilt marks resolved (retried, by Rebuilt) the open letters of
// a projection whose events a rebuild that started at startedAt (the
// database's clock) applied: those parked before it at or below through
// that it did not park again (parking again sets last_tried_at). It is for
// a rebuild to run in the transaction that swaps its tables in, so that
// the read model and the letters agree. It returns how many it resolved.
func ResolveRebuilt(ctx context.Context, db DB, projection string, startedAt time.Time, through uint64) (int64, error) {
	tag, err := db.Exec(ctx, `UPDATE dead_letters SET resolved_at = now(), resolution = 'retried',
		resolved_by_type = $4, resolved_by = $5, last_tried_at = now()
		WHERE projection = $1 AND resolved_at IS NULL AND position <= $3 AND created_at < $2
		AND (last_tried_at IS NULL OR last_tried_at < $2)`, projection, startedAt, int64(through), Rebuilt.Type, Rebuilt.ID)
	return tag.RowsAffected(), err
}

// CountOpen is how many letters of a consumer are still open.
func CountOpen(ctx context.Context, db DB, consumer string) (int, error) {
	var n int
	err := db.QueryRow(ctx, `SELECT count(*) FROM dead_letters WHERE projection = $1 AND resolved_at IS NULL`, consumer).Scan(&n)
	return n, err
}
