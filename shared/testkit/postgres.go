package testkit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chatbotsaas/chatbot/shared/postgres"
)

const defaultTestDatabaseURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

const startPostgres = "start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start " +
	"(or point TEST_DATABASE_URL at a server that may create databases)"

// Database is a database made for one test and dropped after it.
type Database struct {
	URL  string
	Name string
	Pool *pgxpool.Pool
}

// AdminURL is the server tests create their databases on.
func AdminURL() string {
	if v := os.Getenv("TEST_DATABASE_URL"); v != "" {
		return v
	}
	return defaultTestDatabaseURL
}

// NewDatabase creates an empty database with every migration applied.
func NewDatabase(tb testing.TB) *Database {
	tb.Helper()
	db := NewEmptyDatabase(tb)
	if err := postgres.MigrateUp(db.URL); err != nil {
		tb.Fatalf("migrate test database: %v", err)
	}
	return db
}

// NewEmptyDatabase creates a database with no tables.
func NewEmptyDatabase(tb testing.TB) *Database {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		tb.Fatalf("Postgres is unreachable at %s: %v; %s", redacted(AdminURL()), err, startPostgres)
	}
	defer admin.Close(ctx)

	name := "t_" + sanitize(tb.Name()) + "_" + randomHex(4)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		tb.Fatalf("create test database %s: %v", name, err)
	}
	db := &Database{URL: WithDatabase(AdminURL(), name), Name: name}
	tb.Cleanup(func() { dropDatabase(tb, name) })

	db.Pool, err = pgxpool.New(ctx, db.URL)
	if err != nil {
		tb.Fatalf("open pool on %s: %v", name, err)
	}
	tb.Cleanup(db.Pool.Close)
	return db
}

// DropDatabase removes a database a test made by name, such as one the
// product created itself.
func DropDatabase(tb testing.TB, name string) { dropDatabase(tb, name) }

func dropDatabase(tb testing.TB, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		tb.Errorf("drop test database %s: %v", name, err)
		return
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		tb.Errorf("drop test database %s: %v", name, err)
	}
}

// WithDatabase returns base with its database name replaced.
func WithDatabase(base, name string) string {
	u, err := url.Parse(base)
	if err != nil {
		panic(fmt.Sprintf("TEST_DATABASE_URL cannot be parsed: %v", err))
	}
	u.Path = "/" + name
	return u.String()
}

// UniqueName returns a database name no other test uses.
func UniqueName(tb testing.TB) string { return "t_" + sanitize(tb.Name()) + "_" + randomHex(4) }

func sanitize(name string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	s := b.String()
	if len(s) > 40 {
		s = s[:40]
	}
	return s
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func redacted(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable TEST_DATABASE_URL)"
	}
	return u.Redacted()
}
