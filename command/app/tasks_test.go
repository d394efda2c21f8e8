package app_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/chatbotsaas/chatbot/shared/taskrouter"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// startTasks runs the handlers on a task router of their own until the
// test ends.
func startTasks(t *testing.T, n *testkit.NATS, handlers ...taskrouter.Handler) *testkit.Database {
	t.Helper()
	db := testkit.NewDatabase(t)
	conn, err := nats.Connect(n.URL)
	if err != nil {
		t.Fatal(err)
	}
	r, err := taskrouter.New(taskrouter.Options{Conn: conn, Pool: db.Pool, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range handlers {
		r.Add(h)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	return db
}
