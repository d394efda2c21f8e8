package query

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TenantReaderRole is the role tenant-scoped reads run as (migration
// 000006). Row-level security shows it only the rows whose tenant_id is the
// setting app.tenant_id.
const TenantReaderRole = "chatbot_tenant_reader"

// enterTenant makes the rest of the transaction run as the reader role
// within one tenant. set_config(..., true) is SET LOCAL as a function: one
// statement for both, and, unlike SET LOCAL ROLE sent in a pipeline, no
// "SET LOCAL can only be used in transaction blocks" warning in the
// server log on every read.
const enterTenant = `SELECT set_config('role', '` + TenantReaderRole + `', true), set_config('app.tenant_id', $1, true)`

// ErrNoTenant refuses a tenant-scoped read without a tenant: ” is what
// app.tenant_id reads as once set and reset, never a real tenant.
var ErrNoTenant = errors.New("tenant-scoped read without a tenant")

// TenantQuery runs sql as the reader role within tenant, so row-level
// security hides other tenants' rows even if sql forgot to filter on
// tenant_id (keep the filter anyway: it is the first wall).
//
// It costs one round trip: the role and tenant are set and the query runs
// in one pgx batch, which the server runs as one implicit transaction
// (everything up to the batch's single Sync). Both settings are local to
// that transaction, so the pooled connection goes back to the pool as the
// connecting user with no tenant, whether the query succeeded or not.
// This is why it takes the pool and not a transaction: inside an explicit
// transaction the role would stay in force until its end.
//
// The caller must close the rows (pgx.CollectRows and friends do).
func TenantQuery(ctx context.Context, pool *pgxpool.Pool, tenant, sql string, args ...any) (pgx.Rows, error) {
	if tenant == "" {
		return nil, ErrNoTenant
	}
	b := &pgx.Batch{}
	b.Queue(enterTenant, tenant)
	b.Queue(sql, args...)
	br := pool.SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		_ = br.Close()
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		_ = br.Close()
		return nil, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

// TenantQueryRow is TenantQuery for one row, like pgx's QueryRow: Scan
// answers pgx.ErrNoRows when there is none.
func TenantQueryRow(ctx context.Context, pool *pgxpool.Pool, tenant, sql string, args ...any) pgx.Row {
	rows, err := TenantQuery(ctx, pool, tenant, sql, args...)
	return &firstRow{rows: rows, err: err}
}

// batchRows are the query's rows; closing them also closes the batch, which
// releases the connection to the pool.
type batchRows struct {
	pgx.Rows
	br     pgx.BatchResults
	closed bool
	err    error
}

func (r *batchRows) Close() {
	if r.closed {
		return
	}
	r.closed = true
	r.Rows.Close()
	r.err = r.br.Close()
}

func (r *batchRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.err
}

// Next closes the batch as soon as the rows run out, as pgx's own rows
// release their connection then.
func (r *batchRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.Close()
	return false
}

// firstRow is the first row of a TenantQuery.
type firstRow struct {
	rows pgx.Rows
	err  error
}

func (r *firstRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}
