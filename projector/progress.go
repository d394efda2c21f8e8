package projector

import (
	"context"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/readmodel"
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
		for _, q := range p.partitions() {
			m[q.Name] = q
		}
	}
	return &Progress{pool: pool, js: js, projections: m}
}

// Status is one projection's progress, as readmodel defines it for the
// read side.
type Status = readmodel.Status

// Projection states.
const (
	StateRunning          = readmodel.StateRunning
	StateStopped          = readmodel.StateStopped
	StateRebuildRequested = readmodel.StateRebuildRequested
	StateRebuilding       = readmodel.StateRebuilding
	StateFailed           = readmodel.StateFailed
)

// Statuses reports every covered projection against the stream's end.
func (p *Progress) Statuses(ctx context.Context) ([]Status, error) {
	stream, err := p.js.Stream(ctx, events.StreamName)
	if err != nil {
		return nil, err
	}
	last := stream.CachedInfo().State.LastSeq
	out, err := p.checkpointed(ctx, stream, last)
	if err != nil {
		return nil, err
	}
	// A projection that never ran has no checkpoint yet.
	for name, proj := range p.projections {
		if !slices.ContainsFunc(out, func(s Status) bool { return s.Name == name }) {
			s := Status{Name: name, Tables: proj.Tables, StreamPosition: last, Lag: last, State: StateStopped, Partitions: proj.Partitions}
			if proj.part != nil {
				s.Of, s.Partitions = proj.Of(), proj.part.count
			}
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b Status) int { return strings.Compare(a.Name, b.Name) })
	return foldPartitions(out), nil
}

// checkpointRow is what a status is made of beside the fields of its
// projection_checkpoints row scanned into the Status itself.
type checkpointRow struct {
	pos, handled             int64
	rebuildPos, rebuildTotal *int64
	led, rebuilding          bool
}

// checkpointed reports the covered projections that have a checkpoint row.
func (p *Progress) checkpointed(ctx context.Context, stream jetstream.Stream, last uint64) ([]Status, error) {
	rows, err := p.pool.Query(ctx, `SELECT c.name, c.position, c.updated_at,
		(SELECT count(*) FROM dead_letters d WHERE d.projection = c.name AND d.resolved_at IS NULL), `+ledSQL+`,
		c.rebuild_handled, c.rebuild_started_at IS NOT NULL, c.rebuild_position, c.rebuild_total, c.rebuilt_at, c.rebuild_error
		FROM projection_checkpoints c ORDER BY c.name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Status
	for rows.Next() {
		var s Status
		var c checkpointRow
		if err := rows.Scan(&s.Name, &c.pos, &s.UpdatedAt, &s.DeadLetters, &c.led, &c.handled, &c.rebuilding,
			&c.rebuildPos, &c.rebuildTotal, &s.RebuiltAt, &s.RebuildError); err != nil {
			return nil, err
		}
		proj, ok := p.projections[s.Name]
		if !ok {
			continue
		}
		p.describe(ctx, stream, last, proj, &s, c)
		out = append(out, s)
	}
	return out, rows.Err()
}

// describe fills in what proj is doing, from its checkpoint c, and how far
// behind the stream's end last it is.
func (p *Progress) describe(ctx context.Context, stream jetstream.Stream, last uint64, proj Projection, s *Status, c checkpointRow) {
	s.Tables = proj.Tables
	switch {
	case c.rebuilding && c.led:
		s.State = StateRebuilding
		s.RebuildPosition, s.RebuildTotal = unsigned(c.rebuildPos), unsigned(c.rebuildTotal)
	case lastRequest(ctx, stream, s.Name) > uint64(c.handled):
		s.State = StateRebuildRequested
	case s.RebuildError != nil:
		s.State = StateFailed
	case c.led:
		s.State = StateRunning
	default:
		s.State = StateStopped
	}
	s.Position, s.StreamPosition = uint64(c.pos), last
	s.Lag = p.lag(ctx, proj, s.Position, last)
	if proj.part != nil {
		s.Of, s.Partitions = proj.Of(), proj.part.count
	} else if proj.Partitions > 1 {
		s.Partitions = proj.Partitions
	}
}

func unsigned(v *int64) *uint64 {
	if v == nil {
		return nil
	}
	u := uint64(*v)
	return &u
}

// lastRequest is the position of the projection's last rebuild request.
func lastRequest(ctx context.Context, stream jetstream.Stream, name string) uint64 {
	msg, err := stream.GetLastMsgForSubject(ctx, RequestSubject(name))
	if err != nil {
		return 0
	}
	return msg.Sequence
}

// lag is how many events of the projection's types it has yet to apply:
// what its durable consumer has not delivered or not had acknowledged. The
// distance to the stream's end would count other projections' events too.
// Without a consumer it falls back to that distance.
func (p *Progress) lag(ctx context.Context, proj Projection, position, last uint64) uint64 {
	stream := events.StreamName
	if proj.part != nil {
		stream = PartitionStream(proj.Of())
	}
	if cons, err := p.js.Consumer(ctx, stream, proj.Name); err == nil && proj.Partitions <= 1 {
		info := cons.CachedInfo()
		return info.NumPending + uint64(info.NumAckPending)
	}
	if last > position {
		return last - position
	}
	return 0
}
