package projector

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// Progress answers how far projections are, for read-your-writes and for
// operators. It needs no running projector: it reads the checkpoints and
// asks the stream.
type Progress struct {
	pool        *pgxpool.Pool
	js          jetstream.JetStream
	projections map[string]Projection
}

// NewProgress covers the given projections.
func NewProgress(pool *pgxpool.Pool, js jetstream.JetStream, projections []Projection) *Progress {
	m := make(map[string]Projection, len(projections))
	for _, p := range projections {
		m[p.Name] = p
	}
	return &Progress{pool: pool, js: js, projections: m}
}

// Status is one projection's progress.
type Status struct {
	Name           string    `json:"name"`
	Position       uint64    `json:"position"`
	StreamPosition uint64    `json:"stream_position"`
	Lag            uint64    `json:"lag"`
	DeadLetters    int       `json:"dead_letters"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// Statuses reports every covered projection against the stream's end.
func (p *Progress) Statuses(ctx context.Context) ([]Status, error) {
	stream, err := p.js.Stream(ctx, events.StreamName)
	if err != nil {
		return nil, err
	}
	last := stream.CachedInfo().State.LastSeq
	rows, err := p.pool.Query(ctx, `SELECT c.name, c.position, c.updated_at,
		(SELECT count(*) FROM dead_letters d WHERE d.projection = c.name AND d.resolved_at IS NULL)
		FROM projection_checkpoints c ORDER BY c.name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Status
	for rows.Next() {
		var s Status
		var pos int64
		if err := rows.Scan(&s.Name, &pos, &s.UpdatedAt, &s.DeadLetters); err != nil {
			return nil, err
		}
		if _, ok := p.projections[s.Name]; !ok {
			continue
		}
		s.Position, s.StreamPosition = uint64(pos), last
		if last > s.Position {
			s.Lag = last - s.Position
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// CaughtUp reports whether projection name reflects every event up to
// position n. A projection reads only its own event types, so it is caught
// up to n when its checkpoint reached n or no event of its types lies
// between its checkpoint and n. A position the stream has not reached is
// never caught up.
func (p *Progress) CaughtUp(ctx context.Context, name string, n uint64) (bool, error) {
	proj, ok := p.projections[name]
	if !ok {
		return false, fmt.Errorf("unknown projection %q", name)
	}
	var pos int64
	err := p.pool.QueryRow(ctx, "SELECT position FROM projection_checkpoints WHERE name = $1", name).Scan(&pos)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return false, err
	}
	if uint64(pos) >= n {
		return true, nil
	}
	stream, err := p.js.Stream(ctx, events.StreamName)
	if err != nil {
		return false, err
	}
	if stream.CachedInfo().State.LastSeq < n {
		return false, nil
	}
	for _, subject := range proj.FilterSubjects() {
		msg, err := stream.GetMsg(ctx, uint64(pos)+1, jetstream.WithGetMsgSubject(subject))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return false, err
		}
		if msg.Sequence <= n {
			return false, nil
		}
	}
	return true, nil
}

// ErrLagging is the answer when projections do not catch up in time.
func ErrLagging() *apperr.Error {
	return &apperr.Error{Kind: apperr.KindUnavailable, Code: "projection_lagging",
		Message: "the data is not yet up to date with your last write; retry shortly", RetryAfter: 1}
}

// Wait returns once every named projection is caught up to n, or
// ErrLagging after bound.
func (p *Progress) Wait(ctx context.Context, n uint64, bound time.Duration, names ...string) error {
	if n == 0 {
		return nil
	}
	deadline := time.Now().Add(bound)
	pause := time.Millisecond
	pending := names
	for {
		var still []string
		for _, name := range pending {
			ok, err := p.CaughtUp(ctx, name, n)
			if err != nil {
				return err
			}
			if !ok {
				still = append(still, name)
			}
		}
		if len(still) == 0 {
			return nil
		}
		if time.Now().Add(pause).After(deadline) {
			return ErrLagging()
		}
		sleep(ctx, pause)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		pending, pause = still, min(pause*2, 20*time.Millisecond)
	}
}
