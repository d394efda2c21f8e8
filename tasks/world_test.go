package tasks_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/projector"
	"github.com/chatbotsaas/chatbot/readmodel"
	"github.com/chatbotsaas/chatbot/shared/mail"
	"github.com/chatbotsaas/chatbot/shared/policy"
	"github.com/chatbotsaas/chatbot/shared/taskrouter"
	"github.com/chatbotsaas/chatbot/shared/testkit"
	"github.com/chatbotsaas/chatbot/tasks"
)

// world is the notifications on a real task router, stream, database and
// SMTP server. Read-model rows are written as the projector would.
type world struct {
	t     *testing.T
	pool  *pgxpool.Pool
	nats  *testkit.NATS
	js    jetstream.JetStream
	store *eventstore.Store
	smtp  *testkit.SMTPServer
}

// caughtUp stands for projections that reflect every event: these tests
// write the read-model rows themselves, before the events.
type caughtUp struct{}

func (caughtUp) Wait(context.Context, uint64, time.Duration, ...readmodel.Name) error { return nil }

type macKey struct{}

func (macKey) MAC(_ string, msg []byte) []byte { return append([]byte("k:"), msg...) }

func newWorld(t *testing.T) *world {
	t.Helper()
	db := testkit.NewDatabase(t)
	n := testkit.StartNATS(t)
	js, err := jetstream.New(n.Conn)
	if err != nil {
		t.Fatalf("connect JetStream: %v", err)
	}
	store, err := eventstore.Open(context.Background(), js, eventstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, pool: db.Pool, nats: n, js: js, store: store, smtp: testkit.StartSMTP(t)}
	sender, err := mail.NewSMTP(mail.Settings{Host: w.smtp.Host, Port: w.smtp.Port, From: "Chatbot <no-reply@example.com>",
		TLS: mail.TLSNone, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	n2 := &tasks.Notifier{Pool: db.Pool, Progress: caughtUp{}, Mail: sender, ResetKey: macKey{}, Policy: policy.NewHolder(policy.Default()),
		PublicURL: "https://app.example.com", ResetURL: "https://app.example.com/reset"}
	w.router(n2.Handlers()...)
	return w
}

// router runs handlers with quick retries until the test ends.
func (w *world) router(handlers ...taskrouter.Handler) {
	w.t.Helper()
	conn, err := nats.Connect(w.nats.URL)
	if err != nil {
		w.t.Fatal(err)
	}
	r, err := taskrouter.New(taskrouter.Options{Conn: conn, Pool: w.pool, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		AckWait: 10 * time.Second, Retries: 2, FirstRetry: 50 * time.Millisecond})
	if err != nil {
		w.t.Fatal(err)
	}
	for _, h := range handlers {
		r.Add(h)
	}
	if err := r.Start(context.Background()); err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(r.Stop)
}

// user writes a user row of the read model and returns its id.
func (w *world) user(tenant, company, email, role string) string {
	w.t.Helper()
	id := uuid.NewString()
	var cid any
	if company != "" {
		cid = company
	}
	_, err := w.pool.Exec(context.Background(), `INSERT INTO `+projector.UsersTable+` (tenant_id, id, company_id, email, name, role, status,
		created_at, updated_at, position) VALUES ($1, $2, $3, $4, 'Ada', $5, 'active', now(), now(), 1)`, tenant, id, cid, email, role)
	if err != nil {
		w.t.Fatal(err)
	}
	return id
}

// append records evs on the aggregate and returns what was stored.
func (w *world) append(ref eventstore.Ref, evs ...events.Event) eventstore.Appended {
	w.t.Helper()
	res, err := w.store.Append(events.WithActor(context.Background(), events.System), ref, eventstore.Loaded{}, evs...)
	if err != nil {
		w.t.Fatal(err)
	}
	return res
}

// mailsTo are the messages received for to.
func mailsTo(got []testkit.Mail, to string) []testkit.Mail {
	var out []testkit.Mail
	for _, m := range got {
		for _, r := range m.To {
			if r == to {
				out = append(out, m)
			}
		}
	}
	return out
}
