package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chatbotsaas/chatbot/shared/postgres"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

func TestOpenCreatesAMissingDatabaseWhenAsked(t *testing.T) {
	ctx := context.Background()
	name := testkit.UniqueName(t)
	url := testkit.WithDatabase(testkit.AdminURL(), name)
	t.Cleanup(func() { testkit.DropDatabase(t, name) })

	if _, err := postgres.Open(ctx, url, 2, false); err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Fatalf("without createMissing: got %v, want an error naming DATABASE_URL", err)
	}
	pool, err := postgres.Open(ctx, url, 2, true)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := pool.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestUnreachableServerIsOneClearLine(t *testing.T) {
	_, err := postgres.Open(context.Background(), "postgres://u:s3cret@127.0.0.1:1/x?sslmode=disable", 1, true)
	if err == nil {
		t.Fatal("connected to nothing")
	}
	msg := err.Error()
	if !strings.Contains(msg, "DATABASE_URL") || !strings.Contains(msg, "127.0.0.1:1") || strings.Contains(msg, "s3cret") || strings.Contains(msg, "\n") {
		t.Fatalf("got %q", msg)
	}
}

func TestMigrationsGoUpAndDown(t *testing.T) {
	ctx := context.Background()
	db := testkit.NewEmptyDatabase(t)
	mg, err := postgres.NewMigrator(db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer testkit.Close(t, "the migrator", mg)

	if err := mg.Up(); err != nil {
		t.Fatal(err)
	}
	v, dirty, err := mg.Version()
	if err != nil || dirty || v < 1 {
		t.Fatalf("after up: version %d dirty %v err %v", v, dirty, err)
	}
	for _, table := range []string{"projection_checkpoints", "dead_letters"} {
		var exists bool
		if err := db.Pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", table).Scan(&exists); err != nil || !exists {
			t.Errorf("table %s missing after up (%v)", table, err)
		}
	}
	if err := mg.Up(); err != nil {
		t.Errorf("a second up must be a no-op: %v", err)
	}
	if err := mg.Down(0); err != nil {
		t.Fatal(err)
	}
	var exists bool
	if err := db.Pool.QueryRow(ctx, "SELECT to_regclass('projection_checkpoints') IS NOT NULL").Scan(&exists); err != nil {
		t.Fatalf("look for projection_checkpoints: %v", err)
	}
	if exists {
		t.Errorf("projection_checkpoints still there after down")
	}
	if v, _, err := mg.Version(); err != nil || v != 0 {
		t.Errorf("version after down = %d (%v), want 0", v, err)
	}
}
