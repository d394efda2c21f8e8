package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chatbotsaas/chatbot/query"
)

const (
	benchTenants        = 100
	benchUsersPerTenant = 100
	// Many short alternating slices rather than one long run per variant:
	// a busy machine slows whatever runs at the time, and this spreads
	// that over both variants alike.
	tenantReadRounds = 10
)

// meSQL is the SELECT of GET /v1/me: a primary-key read that names its
// tenant.
const meSQL = `SELECT id::text, email, name, role, company_id::text, status, created_at
	FROM rm_users_v1 WHERE tenant_id = $1 AND id = $2 AND status <> 'deleted'`

// benchTenantRead compares GET /v1/me's read done plainly, as the
// connecting user (the ceiling), with the same read through
// query.TenantQueryRow: the reader role and tenant set in the same round
// trip and row-level security in force.
func benchTenantRead(cfg runConfig) (Result, error) {
	ctx := context.Background()
	db, keys, err := tenantUsersDB(ctx)
	if err != nil {
		return Result{}, err
	}
	defer db.Close()
	plain := func(int) bool {
		k := keys[rand.IntN(len(keys))]
		return scanMe(db.Pool.QueryRow(ctx, meSQL, k.tenant, k.id)) == nil
	}
	scoped := func(int) bool {
		k := keys[rand.IntN(len(keys))]
		return scanMe(query.TenantQueryRow(ctx, db.Pool, k.tenant, meSQL, k.tenant, k.id)) == nil
	}
	// Where the cost lies: the helper's batch with the tenant set but
	// neither the role nor row security, and the role set by SET LOCAL
	// ROLE as a statement of its own.
	statementOnly := func(int) bool {
		k := keys[rand.IntN(len(keys))]
		return scanMe(batchRead(ctx, db.Pool, []string{"SELECT set_config('app.tenant_id', $1, true)"}, k.tenant, meSQL, k.tenant, k.id)) == nil
	}
	setLocalRole := func(int) bool {
		k := keys[rand.IntN(len(keys))]
		return scanMe(batchRead(ctx, db.Pool, []string{"SELECT set_config('app.tenant_id', $1, true)", "SET LOCAL ROLE " + query.TenantReaderRole},
			k.tenant, meSQL, k.tenant, k.id)) == nil
	}
	// The variant without a role switch per read: a second pool whose
	// connections are the reader role for life, the tenant set per read.
	readerPool, err := readerRolePool(ctx, db.Pool)
	if err != nil {
		return Result{}, err
	}
	defer readerPool.Close()
	readerConns := func(int) bool {
		k := keys[rand.IntN(len(keys))]
		return scanMe(batchRead(ctx, readerPool, []string{"SELECT set_config('app.tenant_id', $1, true)"}, k.tenant, meSQL, k.tenant, k.id)) == nil
	}
	ops := []func(int) bool{plain, scoped, statementOnly, setLocalRole, readerConns}
	if err := findsEveryone(ops...); err != nil {
		return Result{}, err
	}

	interleaved(cfg.workers, time.Second, 1, ops...) // warm up
	loads := interleaved(cfg.workers, cfg.duration/tenantReadRounds, tenantReadRounds, ops...)
	base, load := loads[0], loads[1]
	return Result{
		Name: "tenant-scoped read under RLS (Postgres)", Ceiling: "the same read as the connecting user",
		Target: 0.95, Ratio: load.Rate / base.Rate, Load: load, Base: base,
		Note: fmt.Sprintf("GET /v1/me's primary-key SELECT, %d users across %d tenants, pgx pool of %d, %d alternating slices each; "+
			"plain %s; RLS %s; the batch with the tenant set but no role (no RLS) %s; SET LOCAL ROLE as a third statement %s; "+
			"a second pool of connections that are the reader role for life, tenant set per read %s",
			len(keys), benchTenants, db.Pool.Config().MaxConns, tenantReadRounds,
			figures(base, base), figures(load, base), figures(loads[2], base), figures(loads[3], base), figures(loads[4], base)),
	}, nil
}

// figures are a load's rate, ratio to base and latencies, for a note.
func figures(l, base Load) string {
	return fmt.Sprintf("%.0f/s (%.2f) p50 %.2f ms p99 %.2f ms", l.Rate, l.Rate/base.Rate, l.P50ms, l.P99ms)
}

func scanMe(r pgx.Row) error {
	var m query.Me
	return r.Scan(&m.ID, &m.Email, &m.Name, &m.Role, &m.CompanyID, &m.Status, &m.CreatedAt)
}

// findsEveryone checks that each variant finds the users it asks for: a
// scoped read that found nothing would be fast for the wrong reason.
func findsEveryone(ops ...func(int) bool) error {
	for _, op := range ops {
		for range 100 {
			if !op(0) {
				return fmt.Errorf("a read of a seeded user found nothing")
			}
		}
	}
	return nil
}

type tenantKey struct{ tenant, id string }

// tenantUsersDB makes a database with benchUsersPerTenant users in each of
// benchTenants companies and returns it with the users' keys.
func tenantUsersDB(ctx context.Context) (*benchDB, []tenantKey, error) {
	db, err := newBenchDB(ctx)
	if err != nil {
		return nil, nil, err
	}
	keys, err := seedTenantUsers(ctx, db.Pool)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, keys, nil
}

func seedTenantUsers(ctx context.Context, pool *pgxpool.Pool) ([]tenantKey, error) {
	if _, err := pool.Exec(ctx, `INSERT INTO rm_users_v1
		(tenant_id, id, company_id, email, name, role, status, created_at, updated_at, position)
		SELECT c.id::text, gen_random_uuid(), c.id, 'user' || c.n || '.' || i || '@example.test', 'User ' || i,
		       'user', 'active', now(), now(), c.n * $2 + i
		FROM (SELECT gen_random_uuid() AS id, n FROM generate_series(1, $1) n) c, generate_series(1, $2) i`,
		benchTenants, benchUsersPerTenant); err != nil {
		return nil, err
	}
	if _, err := pool.Exec(ctx, "ANALYZE rm_users_v1"); err != nil {
		return nil, err
	}
	rows, _ := pool.Query(ctx, "SELECT tenant_id, id::text FROM rm_users_v1 ORDER BY id")
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (tenantKey, error) {
		var k tenantKey
		return k, r.Scan(&k.tenant, &k.id)
	})
}

// readerRolePool opens a pool like pool whose connections switch to the
// reader role once, when they connect.
func readerRolePool(ctx context.Context, pool *pgxpool.Pool) (*pgxpool.Pool, error) {
	cfg := pool.Config()
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		_, err := c.Exec(ctx, "SET ROLE "+query.TenantReaderRole)
		return err
	}
	return pgxpool.NewWithConfig(ctx, cfg)
}

// batchRead sends the statements before (each given the tenant if it
// takes a parameter) and the query in one batch, and reads the query's row.
func batchRead(ctx context.Context, pool *pgxpool.Pool, before []string, tenant, sql string, args ...any) pgx.Row {
	b := &pgx.Batch{}
	for _, stmt := range before {
		if strings.Contains(stmt, "$1") {
			b.Queue(stmt, tenant)
		} else {
			b.Queue(stmt)
		}
	}
	b.Queue(sql, args...)
	return batchRow{pool.SendBatch(ctx, b), len(before)}
}

type batchRow struct {
	br     pgx.BatchResults
	before int
}

func (r batchRow) Scan(dest ...any) error {
	defer r.br.Close()
	for range r.before {
		if _, err := r.br.Exec(); err != nil {
			return err
		}
	}
	return r.br.QueryRow().Scan(dest...)
}

// interleaved runs each op as a closed loop for slice, op after op, rounds
// times, and reports each op's rate and latencies over all its slices.
func interleaved(workers int, slice time.Duration, rounds int, ops ...func(worker int) bool) []Load {
	samples := make([][]time.Duration, len(ops))
	requests := make([]int, len(ops))
	errs := make([]int, len(ops))
	elapsed := make([]time.Duration, len(ops))
	for range rounds {
		for i, op := range ops {
			perWorker := make([][]time.Duration, workers) // one each: no lock on the measured path
			timed := func(w int) bool {
				t0 := time.Now()
				ok := op(w)
				if ok {
					perWorker[w] = append(perWorker[w], time.Since(t0))
				}
				return ok
			}
			start := time.Now()
			l := closedLoopFn(workers, slice, timed)
			elapsed[i] += time.Since(start)
			requests[i] += l.Requests
			errs[i] += l.Errors
			samples[i] = slices.Concat(append(perWorker, samples[i])...)
		}
	}
	loads := make([]Load, len(ops))
	for i := range ops {
		slices.Sort(samples[i])
		loads[i] = Load{Requests: requests[i], Errors: errs[i], Rate: float64(requests[i]) / elapsed[i].Seconds(),
			P50ms: pct(samples[i], 0.50), P99ms: pct(samples[i], 0.99), P999ms: pct(samples[i], 0.999)}
	}
	return loads
}
