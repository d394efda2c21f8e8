package projector

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
)

// Progress answers how far projections are, for operators. It needs no
// running projector: it reads the checkpoints and asks the stream. Reads
// that wait for a position do not use it (see readmodel.Follower).
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
	State          string    `json:"state" enum:"running,stopped,rebuild_requested,rebuilding" doc:"running: a process applies events; stopped: none does (no projector running); rebuilding: the read model is built again beside the live one"`
	DeadLetters    int       `json:"dead_letters" doc:"events parked because they could not be applied"`
	UpdatedAt      time.Time `json:"updated_at"`
	// Rebuild is the progress of a running rebuild, the end of the last
	// one, or why it failed.
	RebuildPosition *uint64    `json:"rebuild_position,omitempty" doc:"stream position the rebuild has replayed to"`
	RebuiltAt       *time.Time `json:"rebuilt_at,omitempty"`
	RebuildError    *string    `json:"rebuild_error,omitempty"`
}

// Projection states.
const (
	StateRunning          = "running"
	StateStopped          = "stopped"
	StateRebuildRequested = "rebuild_requested"
	StateRebuilding       = "rebuilding"
)

// Statuses reports every covered projection against the stream's end.
func (p *Progress) Statuses(ctx context.Context) ([]Status, error) {
	stream, err := p.js.Stream(ctx, events.StreamName)
	if err != nil {
		return nil, err
	}
	last := stream.CachedInfo().State.LastSeq
	// A running projection's leader holds its advisory lock (see lead).
	rows, err := p.pool.Query(ctx, `SELECT c.name, c.position, c.updated_at,
		(SELECT count(*) FROM dead_letters d WHERE d.projection = c.name AND d.resolved_at IS NULL),
		EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
			AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended('projection:' || c.name, 0)),
		c.rebuild_requested_at IS NOT NULL, c.rebuild_started_at IS NOT NULL, c.rebuild_position, c.rebuilt_at, c.rebuild_error
		FROM projection_checkpoints c ORDER BY c.name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Status
	for rows.Next() {
		var s Status
		var pos int64
		var rebuildPos *int64
		var led, requested, rebuilding bool
		if err := rows.Scan(&s.Name, &pos, &s.UpdatedAt, &s.DeadLetters, &led, &requested, &rebuilding,
			&rebuildPos, &s.RebuiltAt, &s.RebuildError); err != nil {
			return nil, err
		}
		switch {
		case rebuilding && led:
			s.State = StateRebuilding
		case requested:
			s.State = StateRebuildRequested
		case led:
			s.State = StateRunning
		default:
			s.State = StateStopped
		}
		if rebuildPos != nil && rebuilding {
			v := uint64(*rebuildPos)
			s.RebuildPosition = &v
		}
		if _, ok := p.projections[s.Name]; !ok {
			continue
		}
		s.Position, s.StreamPosition = uint64(pos), last
		s.Lag = p.lag(ctx, s.Name, s.Position, last)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// A projection that never ran has no checkpoint yet.
	for name := range p.projections {
		if !slices.ContainsFunc(out, func(s Status) bool { return s.Name == name }) {
			out = append(out, Status{Name: name, StreamPosition: last, Lag: last, State: StateStopped})
		}
	}
	slices.SortFunc(out, func(a, b Status) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// lag is how many events of the projection's types it has yet to apply:
// what its durable consumer has not delivered or not had acknowledged. The
// distance to the stream's end would count other projections' events too.
// Without a consumer it falls back to that distance.
func (p *Progress) lag(ctx context.Context, name string, position, last uint64) uint64 {
	if cons, err := p.js.Consumer(ctx, events.StreamName, name); err == nil {
		info := cons.CachedInfo()
		return info.NumPending + uint64(info.NumAckPending)
	}
	if last > position {
		return last - position
	}
	return 0
}
