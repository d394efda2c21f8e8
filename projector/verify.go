package projector

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
)

// Difference is one row that the live read model and a replay of the
// stream disagree on.
type Difference struct {
	Table   string  `json:"table"`
	Key     string  `json:"key"`     // the primary key's values, as a JSON array
	Live    *string `json:"live"`    // the row as JSON; null when missing
	Rebuilt *string `json:"rebuilt"` // the same
}

// Verification is what Verify found.
type Verification struct {
	Projection  string       `json:"projection"`
	Position    uint64       `json:"position" doc:"the checkpoint both were compared at"`
	Events      uint64       `json:"events" doc:"events replayed"`
	Differences int          `json:"differences"`
	Shown       []Difference `json:"shown" doc:"the first of them, by table and key"`
}

// Verify replays projection name into a scratch schema up to its live
// checkpoint and compares the two row by row: an md5 of each row, keyed by
// primary key, computed in Postgres. The comparison holds the checkpoint
// row, as a swap does, so that the live consumer cannot move the read
// model meanwhile; the scratch schema is dropped after. It shows at most
// show differences.
func (r *Runner) Verify(ctx context.Context, name string, show int) (Verification, error) {
	p, err := r.projection(name)
	if err != nil {
		return Verification{}, err
	}
	var live string
	if err := r.deps.Pool.QueryRow(ctx, `SELECT current_schema()`).Scan(&live); err != nil {
		return Verification{}, err
	}
	// Up to where every consumer of the read model has applied; the rest
	// goes in while their rows are held.
	start, err := r.floor(ctx, name, p.PartitionNames())
	if err != nil {
		return Verification{}, err
	}
	scratch := "verify_" + name
	defer func() {
		_, _ = r.deps.Pool.Exec(context.WithoutCancel(ctx), "DROP SCHEMA IF EXISTS "+ident(scratch)+" CASCADE")
	}()
	rp := newReplay(r, p, live, scratch, uint64(start), nil, true)
	if err := rp.build(ctx); err != nil {
		return Verification{}, err
	}
	v := Verification{Projection: name}
	err = pgx.BeginFunc(ctx, r.deps.Pool, func(tx pgx.Tx) error {
		at, err := r.heldAt(ctx, tx, p, rp)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, rp.searchPath()); err != nil {
			return err
		}
		if err := rp.catchUp(ctx, tx, at); err != nil {
			return err
		}
		v.Position, v.Events = at, rp.stats.Events
		for _, t := range p.Tables {
			n, shown, err := compareTable(ctx, tx, live, scratch, t, show-len(v.Shown))
			if err != nil {
				return fmt.Errorf("compare %s: %w", t, err)
			}
			v.Differences += n
			v.Shown = append(v.Shown, shown...)
		}
		return nil
	})
	return v, err
}

// compareTable counts the rows of table that differ between the two
// schemas and returns the first limit of them.
func compareTable(ctx context.Context, tx pgx.Tx, live, scratch, table string, limit int) (int, []Difference, error) {
	pk, err := primaryKey(ctx, tx, live, table)
	if err != nil {
		return 0, nil, err
	}
	if len(pk) == 0 {
		return 0, nil, fmt.Errorf("table %s has no primary key to compare rows by", table)
	}
	cols := make([]string, len(pk))
	for i, c := range pk {
		cols[i] = "t." + ident(c)
	}
	side := func(schema string) string {
		return `SELECT jsonb_build_array(` + strings.Join(cols, ", ") + `)::text AS k, md5(t::text) AS h, t AS rw FROM ` +
			ident(schema) + "." + ident(table) + " t"
	}
	rows, err := tx.Query(ctx, `SELECT coalesce(l.k, r.k), to_jsonb(l.rw)::text, to_jsonb(r.rw)::text, count(*) OVER ()
		FROM (`+side(live)+`) l FULL JOIN (`+side(scratch)+`) r ON l.k = r.k
		WHERE l.h IS DISTINCT FROM r.h ORDER BY 1 LIMIT $1`, max(limit, 1))
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	var total int
	var out []Difference
	for rows.Next() {
		d := Difference{Table: table}
		if err := rows.Scan(&d.Key, &d.Live, &d.Rebuilt, &total); err != nil {
			return 0, nil, err
		}
		if len(out) < limit {
			out = append(out, d)
		}
	}
	return total, out, rows.Err()
}

// heldAt holds the checkpoint rows of p's consumers and tells how far the
// copy must catch up to match the live read model: to the checkpoint, or,
// partitioned, to the highest partition's, each event going in only if its
// partition had applied it.
func (r *Runner) heldAt(ctx context.Context, tx pgx.Tx, p Projection, rp *replay) (uint64, error) {
	cps, err := lockRows(ctx, tx, p)
	if err != nil {
		return 0, err
	}
	if p.Partitions <= 1 {
		return cps[p.Name], nil
	}
	at := uint64(0)
	for _, n := range p.PartitionNames() {
		at = max(at, cps[n])
	}
	rp.keep = func(m jetstream.Msg) bool {
		tenant := events.SubjectTenant(m.Subject())
		return streamSeq(m) <= cps[PartitionName(p.Name, events.TenantPartition(tenant, p.Partitions), p.Partitions)]
	}
	return at, nil
}
