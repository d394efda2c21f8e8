package projector

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
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

// index builds the indexes the load went without.
func (rp *replay) index(ctx context.Context) error {
	for _, t := range rp.c.p.Tables {
		deferred := func(ix index) bool { return !ix.unique || rp.c.p.Copy != nil }
		err := pgx.BeginFunc(ctx, rp.c.r.deps.Pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "SET LOCAL maintenance_work_mem TO '256MB'"); err != nil {
				return err
			}
			return rp.createIndexes(ctx, tx, t, deferred)
		})
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" && rp.c.p.Copy != nil && rp.c.p.Copy.Dedupe != "" {
			// The stream holds an event twice (published again after its
			// duplicate window): keep the row the reducer keeps.
			if _, err := rp.c.r.deps.Pool.Exec(ctx, fmt.Sprintf(rp.c.p.Copy.Dedupe, ident(rp.schema)+"."+ident(t))); err != nil {
				return err
			}
			err = pgx.BeginFunc(ctx, rp.c.r.deps.Pool, func(tx pgx.Tx) error { return rp.createIndexes(ctx, tx, t, deferred) })
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// createIndexes gives the copy of table the live table's indexes that
// which selects, under their live names.
func (rp *replay) createIndexes(ctx context.Context, tx pgx.Tx, table string, which func(index) bool) error {
	indexes, err := liveIndexes(ctx, tx, rp.live, table)
	if err != nil {
		return err
	}
	dst := ident(rp.schema) + "." + ident(table)
	for _, ix := range indexes {
		if !which(ix) {
			continue
		}
		_, using, ok := strings.Cut(ix.definition, " USING ")
		if !ok {
			return fmt.Errorf("index %s: unexpected definition %q", ix.name, ix.definition)
		}
		kind := "INDEX "
		if ix.unique {
			kind = "UNIQUE INDEX "
		}
		stmts := []string{"CREATE " + kind + ident(ix.name) + " ON " + dst + " USING " + using}
		switch {
		case ix.primary:
			stmts = append(stmts, "ALTER TABLE "+dst+" ADD CONSTRAINT "+ident(ix.constraint)+" PRIMARY KEY USING INDEX "+ident(ix.name))
		case ix.constraint != "":
			stmts = append(stmts, "ALTER TABLE "+dst+" ADD CONSTRAINT "+ident(ix.constraint)+" UNIQUE USING INDEX "+ident(ix.name))
		}
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
	}
	return nil
}

func liveIndexes(ctx context.Context, tx pgx.Tx, schema, table string) ([]index, error) {
	rows, err := tx.Query(ctx, `SELECT c.relname, pg_get_indexdef(i.indexrelid), i.indisunique, i.indisprimary, coalesce(con.conname, '')
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
