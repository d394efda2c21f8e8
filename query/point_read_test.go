package query

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// Every point read, as Postgres plans it for any arguments (its generic
// plan), scans read models only with tenant_id = $1 among its conditions
// and no OR beside it: the guarantee row-level security would add.
func TestEveryPointReadScansOnlyItsTenant(t *testing.T) {
	db := testkit.NewDatabase(t)
	checked := 0
	for sql := range pointReads {
		scans, err := tenantScans(t, db.Pool, sql)
		if err != nil {
			t.Errorf("%s\n%v", sql, err)
		}
		checked += scans
	}
	if checked < len(pointReads) {
		t.Fatalf("%d scans of read models checked in %d statements: the check saw nothing", checked, len(pointReads))
	}
	t.Logf("%d scans of read models in %d point reads, each on tenant_id = $1", checked, len(pointReads))

	// The check fails the statements it must fail.
	for _, bad := range []string{
		`SELECT id FROM rm_users_v1 WHERE id = $2 AND email <> $1`,
		`SELECT id FROM rm_users_v1 WHERE tenant_id = $1 OR id = $2`,
		`SELECT u.id FROM rm_users_v1 u JOIN rm_companies_v1 c ON c.id = u.company_id WHERE u.tenant_id = $1 AND u.id = $2`,
	} {
		if _, err := tenantScans(t, db.Pool, bad); err == nil {
			t.Errorf("the check let through %s", bad)
		}
	}
}

// tenantCond is the condition every scan of a read model must carry.
var tenantCond = regexp.MustCompile(`(^|[(\s.])tenant_id = \$1\)`)

// tenantScans explains sql's generic plan and checks each scan of a read
// model (rm_*) in it; it answers how many it checked.
func tenantScans(t *testing.T, pool *pgxpool.Pool, sql string) (int, error) {
	t.Helper()
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, "SET LOCAL plan_cache_mode = force_generic_plan"); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "PREPARE point AS "+sql); err != nil {
		t.Fatal(err)
	}
	// A prepared statement outlives the transaction: it goes with it.
	defer func() {
		if _, err := tx.Exec(ctx, "DEALLOCATE point"); err != nil {
			t.Error(err)
		}
	}()
	nulls := strings.TrimSuffix(strings.Repeat("NULL, ", params(sql)), ", ")
	var plan []struct{ Plan planNode }
	var raw []byte
	if err := tx.QueryRow(ctx, "EXPLAIN (FORMAT JSON) EXECUTE point("+nulls+")").Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &plan); err != nil || len(plan) != 1 {
		t.Fatalf("plan %s: %v", raw, err)
	}
	return plan[0].Plan.check()
}

// planNode is what the check reads of a node of EXPLAIN's JSON.
type planNode struct {
	Relation    string     `json:"Relation Name"`
	IndexCond   string     `json:"Index Cond"`
	RecheckCond string     `json:"Recheck Cond"`
	Filter      string     `json:"Filter"`
	Plans       []planNode `json:"Plans"`
}

func (n planNode) check() (int, error) {
	scans := 0
	var errs []error
	if strings.HasPrefix(n.Relation, "rm_") {
		scans++
		conds := n.IndexCond + " " + n.RecheckCond + " " + n.Filter
		if !tenantCond.MatchString(conds) || strings.Contains(conds, " OR ") {
			errs = append(errs, fmt.Errorf("the scan of %s is on %q, not on tenant_id = $1 alone", n.Relation, strings.TrimSpace(conds)))
		}
	}
	for _, c := range n.Plans {
		s, err := c.check()
		scans += s
		errs = append(errs, err)
	}
	return scans, errors.Join(errs...)
}

// placeholder is a $n of a statement.
var placeholder = regexp.MustCompile(`\$(\d+)`)

// params is the highest $n in sql.
func params(sql string) int {
	n := 0
	for _, m := range placeholder.FindAllStringSubmatch(sql, -1) {
		var k int
		if _, err := fmt.Sscan(m[1], &k); err == nil {
			n = max(n, k)
		}
	}
	return n
}

// A point read finds its tenant's row and not another's by the same key,
// and refuses what is not a point read or names no tenant.
func TestAPointReadIsItsTenantsAlone(t *testing.T) {
	db := testkit.NewDatabase(t)
	ctx := context.Background()
	a, b, id := uuid.NewString(), uuid.NewString(), uuid.NewString()
	if _, err := db.Pool.Exec(ctx, `INSERT INTO rm_users_v1 (tenant_id, id, email, name, role, status, created_at, updated_at, position)
		VALUES ($1, $2, 'a@example.test', 'n', 'user', 'active', now(), now(), 1)`, b, id); err != nil {
		t.Fatal(err)
	}
	var got string
	if err := PointQueryRow(ctx, db.Pool, b, meSQL, id).Scan(&got, new(string), new(string), new(string), new(*string), new(string), new(any)); err != nil || got != id {
		t.Fatalf("its own tenant's row: %q, %v", got, err)
	}
	if err := PointQueryRow(ctx, db.Pool, a, meSQL, id).Scan(&got); !errors.Is(err, pgx.ErrNoRows) {
		t.Fatalf("another tenant's row by its key: %v, want no rows", err)
	}
	if err := PointQueryRow(ctx, db.Pool, b, membersSQL, "", 10).Scan(&got); !errors.Is(err, errNotPointRead) {
		t.Fatalf("a list as a point read: %v, want refused", err)
	}
	if err := PointQueryRow(ctx, db.Pool, "", meSQL, id).Scan(&got); !errors.Is(err, ErrNoTenant) {
		t.Fatalf("no tenant: %v, want ErrNoTenant", err)
	}
}
