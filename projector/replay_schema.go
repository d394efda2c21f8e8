package projector

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"golang.org/x/sync/errgroup"
)

// The copies a replay builds are made from the live tables' own
// definitions, as the migrations left them: CREATE TABLE ... LIKE for the
// columns, defaults and checks; each index's definition (pg_get_indexdef)
// under its live name, built before the load when the reducers' upserts
// need it and after it otherwise; and the projection's Secure statements,
// the same the migrations ran, for row security and grants.

// index is one index of a live table.
type index struct {
	name       string
	definition string // pg_get_indexdef
	unique     bool
	constraint string // the primary key or unique constraint it backs, if any
	primary    bool
}

// prepare makes the schema if need be, with a bare copy of each of the projection's
// tables, secured, with the unique indexes that the reducers need.
func (rp *replay) prepare(ctx context.Context) error {
	return pgx.BeginFunc(ctx, rp.c.r.deps.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+ident(rp.schema)); err != nil {
			return err
		}
		for _, t := range rp.c.p.Tables {
			dst := ident(rp.schema) + "." + ident(t)
			// What an interrupted replay left goes: this one starts clean.
			stmts := []string{"DROP TABLE IF EXISTS " + dst + " CASCADE", "CREATE TABLE " + dst + " (LIKE " + ident(rp.live) + "." + ident(t) + " INCLUDING ALL EXCLUDING INDEXES)"}
			if rp.c.p.Secure != nil {
				stmts = append(stmts, rp.c.p.Secure(dst)...)
			}
			for _, s := range stmts {
				if _, err := tx.Exec(ctx, s); err != nil {
					return fmt.Errorf("%s: %w", s, err)
				}
			}
			if rp.c.p.Copy != nil {
				continue // COPY needs no index; all come after the load
			}
			if err := rp.createIndexes(ctx, tx, t, func(ix index) bool { return ix.unique }); err != nil {
				return err
			}
		}
		return nil
	})
}

// index builds the indexes the load went without, each on a connection of
// its own so that Postgres builds them side by side; the primary key and
// unique constraints are attached to theirs after.
func (rp *replay) index(ctx context.Context) error {
	deferred := func(ix index) bool { return !ix.unique || rp.c.p.Copy != nil }
	for _, t := range rp.c.p.Tables {
		builds, constraints, err := rp.indexStatements(ctx, t, deferred)
		if err != nil {
			return err
		}
		err = rp.buildIndexes(ctx, builds)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" && rp.c.p.Copy != nil && rp.c.p.Copy.Dedupe != "" {
			// The stream holds an event twice (published again after its
			// duplicate window): keep the row the reducer keeps.
			if _, err := rp.c.r.deps.Pool.Exec(ctx, fmt.Sprintf(rp.c.p.Copy.Dedupe, ident(rp.schema)+"."+ident(t))); err != nil {
				return err
			}
			err = rp.buildIndexes(ctx, builds)
		}
		if err != nil {
			return err
		}
		for _, c := range constraints {
			if _, err := rp.c.r.deps.Pool.Exec(ctx, c); err != nil {
				return fmt.Errorf("%s: %w", c, err)
			}
		}
	}
	return nil
}

func (rp *replay) buildIndexes(ctx context.Context, builds []string) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(indexBuilders)
	for _, b := range builds {
		g.Go(func() error {
			return pgx.BeginFunc(gctx, rp.c.r.deps.Pool, func(tx pgx.Tx) error {
				if _, err := tx.Exec(gctx, "SET LOCAL maintenance_work_mem TO '128MB'"); err != nil {
					return err
				}
				if _, err := tx.Exec(gctx, b); err != nil {
					return fmt.Errorf("%s: %w", b, err)
				}
				return nil
			})
		})
	}
	return g.Wait()
}

// indexBuilders is how many indexes a replay builds at once.
const indexBuilders = 3

// createIndexes gives the copy of table, in tx, the live table's indexes
// that which selects.
func (rp *replay) createIndexes(ctx context.Context, tx pgx.Tx, table string, which func(index) bool) error {
	builds, constraints, err := rp.indexStatements(ctx, table, which)
	if err != nil {
		return err
	}
	for _, s := range append(builds, constraints...) {
		if _, err := tx.Exec(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

// indexStatements are the statements that give the copy of table the live
// table's indexes that which selects, under their live names: the builds
// (which may be run again), and the constraints that take them over.
func (rp *replay) indexStatements(ctx context.Context, table string, which func(index) bool) (builds, constraints []string, err error) {
	indexes, err := liveIndexes(ctx, rp.c.r.deps.Pool, rp.live, table)
	if err != nil {
		return nil, nil, err
	}
	dst := ident(rp.schema) + "." + ident(table)
	for _, ix := range indexes {
		if !which(ix) {
			continue
		}
		_, using, ok := strings.Cut(ix.definition, " USING ")
		if !ok {
			return nil, nil, fmt.Errorf("index %s: unexpected definition %q", ix.name, ix.definition)
		}
		kind := "INDEX "
		if ix.unique {
			kind = "UNIQUE INDEX "
		}
		builds = append(builds, "CREATE "+kind+"IF NOT EXISTS "+ident(ix.name)+" ON "+dst+" USING "+using)
		switch {
		case ix.primary:
			constraints = append(constraints, "ALTER TABLE "+dst+" ADD CONSTRAINT "+ident(ix.constraint)+" PRIMARY KEY USING INDEX "+ident(ix.name))
		case ix.constraint != "":
			constraints = append(constraints, "ALTER TABLE "+dst+" ADD CONSTRAINT "+ident(ix.constraint)+" UNIQUE USING INDEX "+ident(ix.name))
		}
	}
	return builds, constraints, nil
}

func liveIndexes(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, schema, table string) ([]index, error) {
	rows, err := q.Query(ctx, `SELECT c.relname, pg_get_indexdef(i.indexrelid), i.indisunique, i.indisprimary, coalesce(con.conname, '')
		FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u')
		WHERE i.indrelid = ($1 || '.' || $2)::regclass ORDER BY c.relname`, ident(schema), ident(table))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (index, error) {
		var ix index
		err := r.Scan(&ix.name, &ix.definition, &ix.unique, &ix.primary, &ix.constraint)
		return ix, err
	})
}

// primaryKey lists the columns of table's primary key, in key order.
func primaryKey(ctx context.Context, q pgx.Tx, schema, table string) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT a.attname FROM pg_index i
		JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
		WHERE i.indrelid = ($1 || '.' || $2)::regclass AND i.indisprimary
		ORDER BY array_position(i.indkey::int2[], a.attnum)`, ident(schema), ident(table))
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func ident(s string) string { return pgx.Identifier{s}.Sanitize() }
