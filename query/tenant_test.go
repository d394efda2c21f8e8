package query_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chatbotsaas/chatbot/query"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// seedUsers puts n users of tenant into rm_users_v1 and returns their ids.
func seedUsers(t *testing.T, pool *pgxpool.Pool, tenant string, n int) []string {
	t.Helper()
	var ids []string
	for range n {
		id := uuid.NewString()
		if _, err := pool.Exec(context.Background(), `INSERT INTO rm_users_v1
			(tenant_id, id, email, name, role, status, created_at, updated_at, position)
			VALUES ($1, $2, $3, 'n', 'user', 'active', now(), now(), 1)`, tenant, id, id+"@example.test"); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids
}

// tenantsSeen runs sql through the helper as tenant and returns the
// tenant_id of every row it saw.
func tenantsSeen(t *testing.T, pool *pgxpool.Pool, tenant, sql string, args ...any) []string {
	t.Helper()
	rows, err := query.TenantQuery(context.Background(), pool, tenant, sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	seen, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return seen
}

// A read through the helper sees its own tenant's rows only, even with no
// condition on tenant_id at all, and even when it names another tenant's
// row outright.
func TestTenantQuerySeesOnlyItsTenant(t *testing.T) {
	db := testkit.NewDatabase(t)
	a, b := uuid.NewString(), uuid.NewString()
	seedUsers(t, db.Pool, a, 3)
	bIDs := seedUsers(t, db.Pool, b, 2)
	seedUsers(t, db.Pool, "platform", 1)
	if _, err := db.Pool.Exec(context.Background(), `INSERT INTO rm_companies_v1 (tenant_id, id, name, status, created_at, updated_at, position)
		VALUES ($1, $2, 'A', 'active', now(), now(), 1), ($3, $4, 'B', 'active', now(), now(), 1)`, a, a, b, b); err != nil {
		t.Fatal(err)
	}

	for tenant, want := range map[string]int{a: 3, b: 2, "platform": 1, uuid.NewString(): 0} {
		seen := tenantsSeen(t, db.Pool, tenant, "SELECT tenant_id FROM rm_users_v1")
		if len(seen) != want || slices.ContainsFunc(seen, func(s string) bool { return s != tenant }) {
			t.Errorf("tenant %s read rm_users_v1 without a filter and saw %v; want %d rows of its own", tenant, seen, want)
		}
	}
	if seen := tenantsSeen(t, db.Pool, a, "SELECT tenant_id FROM rm_companies_v1"); !slices.Equal(seen, []string{a}) {
		t.Errorf("tenant A read rm_companies_v1 without a filter and saw %v", seen)
	}

	// Asking for B's row by its key, as A, finds nothing.
	var id string
	err := query.TenantQueryRow(context.Background(), db.Pool, a, "SELECT id::text FROM rm_users_v1 WHERE tenant_id = $1 AND id = $2", b, bIDs[0]).Scan(&id)
	if !errors.Is(err, pgx.ErrNoRows) {
		t.Errorf("A asked for B's user by key: got %q, %v; want no rows", id, err)
	}
	// The same read as B finds it: the helper hides, it does not break reads.
	if err := query.TenantQueryRow(context.Background(), db.Pool, b, "SELECT id::text FROM rm_users_v1 WHERE tenant_id = $1 AND id = $2", b, bIDs[0]).Scan(&id); err != nil || id != bIDs[0] {
		t.Errorf("B read its own user: %q, %v", id, err)
	}

	// Tables that are not read models are not readable as a tenant at all.
	if rows, err := query.TenantQuery(context.Background(), db.Pool, a, "SELECT tenant_id FROM dead_letters"); err == nil {
		rows.Close()
		t.Error("the tenant reader can read dead_letters")
	}

	// No tenant is a programming error, refused before any SQL.
	if _, err := query.TenantQuery(context.Background(), db.Pool, "", "SELECT tenant_id FROM rm_users_v1"); !errors.Is(err, query.ErrNoTenant) {
		t.Errorf("empty tenant: %v, want ErrNoTenant", err)
	}
}

// The role and the tenant end with the helper's read: the next borrower of
// the same pooled connection runs as the connecting user with no tenant,
// after a read that succeeded, one that failed and one whose rows were left
// half read. The same SQL text alternates between plain and scoped on that
// connection, so the cached prepared statement cannot carry either mode
// over to the other.
func TestTenantQueryLeavesNothingOnThePooledConnection(t *testing.T) {
	db := testkit.NewDatabase(t)
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(db.URL)
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = 1 // every borrower gets the same connection
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	a, b := uuid.NewString(), uuid.NewString()
	seedUsers(t, pool, a, 3)
	seedUsers(t, pool, b, 2)

	var sessionUser string
	var backend int32
	if err := pool.QueryRow(ctx, "SELECT session_user::text, pg_backend_pid()").Scan(&sessionUser, &backend); err != nil {
		t.Fatal(err)
	}
	// whoIsNext is what the next plain borrower of the connection runs as.
	whoIsNext := func(after string) {
		t.Helper()
		var user string
		var tenant *string
		var pid int32
		if err := pool.QueryRow(ctx, "SELECT current_user::text, current_setting('app.tenant_id', true), pg_backend_pid()").
			Scan(&user, &tenant, &pid); err != nil {
			t.Fatalf("after %s: %v", after, err)
		}
		if pid != backend {
			t.Fatalf("after %s: another connection (%d, was %d); the test proves nothing", after, pid, backend)
		}
		if user != sessionUser || (tenant != nil && *tenant != "") {
			t.Errorf("after %s the next borrower runs as %q with app.tenant_id %q; want %q and none", after, user, deref(tenant), sessionUser)
		}
	}
	const all = "SELECT tenant_id FROM rm_users_v1"
	plainCount := func(after string) {
		t.Helper()
		rows, err := pool.Query(ctx, all)
		if err != nil {
			t.Errorf("after %s a plain read failed: %v", after, err)
			return
		}
		seen, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil || len(seen) != 5 {
			t.Errorf("after %s a plain read saw %d rows (%v); want all 5", after, len(seen), err)
		}
	}

	for round := range 3 {
		plainCount("a plain read")
		if seen := tenantsSeen(t, pool, a, all); len(seen) != 3 {
			t.Errorf("round %d: the scoped read saw %v", round, seen)
		}
		whoIsNext("a scoped read")
		plainCount("a scoped read")
	}

	// A failing read (the reader may not read dead_letters).
	if rows, err := query.TenantQuery(ctx, pool, a, "SELECT tenant_id FROM dead_letters"); err == nil {
		rows.Close()
		t.Error("the tenant reader read dead_letters")
	}
	whoIsNext("a failed scoped read")

	// Rows closed after the first of three.
	rows, err := query.TenantQuery(ctx, pool, a, all)
	if err != nil {
		t.Fatal(err)
	}
	if !rows.Next() {
		t.Fatal("no first row")
	}
	rows.Close()
	whoIsNext("a scoped read left half read")
	plainCount("a scoped read left half read")
}

// Reads that are not scoped (the admin API, the projector) run as the
// connecting user, which row-level security does not restrict.
func TestUnscopedReadsSeeEveryTenant(t *testing.T) {
	db := testkit.NewDatabase(t)
	a, b := uuid.NewString(), uuid.NewString()
	seedUsers(t, db.Pool, a, 3)
	seedUsers(t, db.Pool, b, 2)
	var tenants int
	if err := db.Pool.QueryRow(context.Background(), "SELECT count(DISTINCT tenant_id) FROM rm_users_v1").Scan(&tenants); err != nil || tenants != 2 {
		t.Fatalf("an unscoped read saw %d tenants (%v); want 2", tenants, err)
	}
}

// Every read model keyed by tenant_id is behind row security with the
// tenant policy and readable by the reader role; nothing else is readable
// by it. A migration that adds a read model without doing its part fails
// here.
func TestEveryReadModelHasRowSecurity(t *testing.T) {
	db := testkit.NewDatabase(t)
	rows, err := db.Pool.Query(context.Background(), `
		SELECT c.relname,
		       EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped),
		       c.relrowsecurity,
		       EXISTS (SELECT FROM pg_policies p WHERE p.schemaname = n.nspname AND p.tablename = c.relname
		               AND p.policyname = 'tenant_isolation' AND p.cmd = 'SELECT' AND $1 = ANY (p.roles)
		               AND p.qual = '(tenant_id = current_setting(''app.tenant_id''::text, true))'),
		       has_table_privilege($1, c.oid, 'SELECT')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind = 'r' AND n.nspname = current_schema()
		ORDER BY c.relname`, query.TenantReaderRole)
	if err != nil {
		t.Fatalf("list the read models: %v", err)
	}
	type table struct {
		name                               string
		tenantKeyed, rls, policy, readable bool
	}
	tables, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (table, error) {
		var t table
		return t, r.Scan(&t.name, &t.tenantKeyed, &t.rls, &t.policy, &t.readable)
	})
	if err != nil {
		t.Fatal(err)
	}
	readModels := 0
	for _, tb := range tables {
		isReadModel := len(tb.name) > 3 && tb.name[:3] == "rm_" && tb.tenantKeyed
		switch {
		case isReadModel && !(tb.rls && tb.policy && tb.readable):
			t.Errorf("read model %s: row security %v, tenant policy %v, readable by %s %v; want all",
				tb.name, tb.rls, tb.policy, query.TenantReaderRole, tb.readable)
		case !isReadModel && tb.readable:
			t.Errorf("%s is readable by %s but is not a tenant-keyed read model", tb.name, query.TenantReaderRole)
		}
		if isReadModel {
			readModels++
		}
	}
	if readModels < 5 {
		t.Errorf("found %d tenant-keyed read models; the schema has at least 5", readModels)
	}
}

func deref(s *string) string {
	if s == nil {
		return "<unset>"
	}
	return *s
}
