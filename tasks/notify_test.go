package tasks_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/projector"
	"github.com/chatbotsaas/chatbot/shared/deadletter"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

func userRef(tenant, id string) eventstore.Ref {
	return eventstore.Ref{Tenant: tenant, Type: events.AggregateUser, ID: id}
}

func lock(until time.Time) events.Event {
	return events.Event{Type: events.AccountLocked, Data: events.AccountLockedData{Until: &until, LockCount: 1, Failures: 5}}
}

// waitHandled waits until the task's consumer has acknowledged every
// message up to seq.
func (w *world) waitHandled(task string, seq uint64) {
	w.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := w.js.Consumer(context.Background(), events.StreamName, task)
		if err == nil {
			if info, err := c.Info(context.Background()); err == nil && info.AckFloor.Stream >= seq && info.NumAckPending == 0 {
				return
			}
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("%s has not handled position %d", task, seq)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A lock mails the account once: until when, that it may not have been
// the user, the reset page. The same event delivered again (stored twice
// in the stream) mails nothing more.
func TestLockMailsTheAccountOnceEvenWhenDeliveredTwice(t *testing.T) {
	w := newWorld(t)
	company := uuid.NewString()
	uid := w.user(company, company, "ada@example.com", "company")
	until := time.Date(2030, 1, 2, 3, 4, 0, 0, time.UTC)
	res := w.append(userRef(company, uid), lock(until))
	got := w.smtp.WaitFor(t, 10*time.Second, "lock mail", func(m []testkit.Mail) bool { return len(mailsTo(m, "ada@example.com")) == 1 })
	body := got[0].Data
	for _, want := range []string{"Subject: Your account is locked", "2030-01-02 03:04", "were not yours", "https://app.example.com/reset"} {
		if !strings.Contains(body, want) {
			t.Errorf("the lock mail lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "token=") {
		t.Error("the lock mail carries a reset token")
	}

	// The event once more, under another position.
	stream, err := w.js.Stream(context.Background(), events.StreamName)
	if err != nil {
		t.Fatalf("look up the stream: %v", err)
	}
	raw, err := stream.GetMsg(context.Background(), res.Position)
	if err != nil {
		t.Fatal(err)
	}
	ack, err := w.js.PublishMsg(context.Background(), &nats.Msg{Subject: raw.Subject, Data: raw.Data})
	if err != nil {
		t.Fatal(err)
	}
	w.waitHandled("mail_account_locked", ack.Sequence)
	if n := len(mailsTo(w.smtp.Received(), "ada@example.com")); n != 1 {
		t.Fatalf("%d lock mails after the event came twice, want 1", n)
	}
}

// With SMTP down, the mail is tried again, then parked as a dead letter;
// an operator's retry delivers it once, and a second retry finds it done.
func TestMailRetriedThenParkedThenDeliveredOnceOnRetry(t *testing.T) {
	w := newWorld(t)
	company := uuid.NewString()
	uid := w.user(company, company, "ada@example.com", "company")
	w.smtp.Down()
	w.append(userRef(company, uid), lock(time.Now().Add(time.Hour)))

	var id string
	var attempts int
	deadline := time.Now().Add(15 * time.Second)
	for id == "" {
		err := w.pool.QueryRow(context.Background(), `SELECT id::text, attempts FROM dead_letters
			WHERE projection = 'mail_account_locked' AND kind = 'task'`).Scan(&id, &attempts)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) { // none yet
			t.Fatalf("look for the dead letter: %v", err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the mail was not parked as a dead letter")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if attempts != 3 || w.smtp.Refused() != 3 {
		t.Errorf("parked after %d attempts, %d refused by the server; want 3 (the first and 2 retries)", attempts, w.smtp.Refused())
	}
	if len(w.smtp.Received()) != 0 {
		t.Fatal("a mail arrived while the server was down")
	}

	w.smtp.Up()
	admin := events.Actor{Type: "user", ID: uuid.NewString()}
	out, err := deadletter.Ask(context.Background(), w.nats.Conn, "mail_account_locked", deadletter.RetryRequest{ID: id, Actor: admin})
	if err != nil || out.Outcome != deadletter.Applied {
		t.Fatalf("retry: %+v %v", out, err)
	}
	if n := len(mailsTo(w.smtp.Received(), "ada@example.com")); n != 1 {
		t.Fatalf("%d mails after the retry, want 1", n)
	}
	if _, err := deadletter.Ask(context.Background(), w.nats.Conn, "mail_account_locked", deadletter.RetryRequest{ID: id, Actor: admin}); !errors.Is(err, deadletter.ErrResolved) {
		t.Errorf("second retry: %v, want resolved", err)
	}
	if n := len(w.smtp.Received()); n != 1 {
		t.Errorf("%d mails in all, want 1", n)
	}
}

// A new key mails each manager of its company, and no one else: its name,
// prefix and chatbot, never its hash. Quotas at 80 % and 100 % mail them too.
func TestKeyAndQuotaMailTheManagers(t *testing.T) {
	w := newWorld(t)
	company, other, bot := uuid.NewString(), uuid.NewString(), uuid.NewString()
	w.user(company, company, "ada@acme.example", "company")
	w.user(company, company, "bob@acme.example", "company")
	w.user(company, company, "carl@acme.example", "user")
	w.user(other, other, "dora@globex.example", "company")
	ctx := context.Background()
	if _, err := w.pool.Exec(ctx, `INSERT INTO `+projector.CompaniesTable+` (tenant_id, id, name, status, created_at, updated_at, position)
		VALUES ($1, $1::text::uuid, 'Acme', 'active', now(), now(), 1)`, company); err != nil {
		t.Fatal(err)
	}
	if _, err := w.pool.Exec(ctx, `INSERT INTO `+projector.ChatbotsTable+` (tenant_id, id, name, description, settings, status, created_at, updated_at, position)
		VALUES ($1, $2, 'Helper', '', '{}', 'active', now(), now(), 1)`, company, bot); err != nil {
		t.Fatal(err)
	}
	w.append(eventstore.Ref{Tenant: company, Type: events.AggregateChatbot, ID: bot}, events.Event{Type: events.ApiKeyIssued,
		Data: events.ApiKeyIssuedData{KeyID: uuid.NewString(), Name: "production", KeyHash: "f00dfeedcafe", Prefix: "cbk_ab12", Last4: "wxyz"}})
	got := w.smtp.WaitFor(t, 10*time.Second, "key mails", func(m []testkit.Mail) bool { return len(m) >= 2 })
	for _, to := range []string{"ada@acme.example", "bob@acme.example"} {
		m := mailsTo(got, to)
		if len(m) != 1 {
			t.Fatalf("%d key mails to %s, want 1", len(m), to)
		}
		for _, want := range []string{"production", "cbk_ab12", "Helper", "Acme"} {
			if !strings.Contains(m[0].Data, want) {
				t.Errorf("the key mail to %s lacks %q", to, want)
			}
		}
		if strings.Contains(m[0].Data, "f00dfeedcafe") {
			t.Errorf("the key mail to %s carries the key's hash", to)
		}
	}
	var last uint64
	for _, th := range []int{80, 100} {
		last = w.append(eventstore.Ref{Tenant: company, Type: events.AggregateUsage, ID: uuid.NewString()}, events.Event{Type: events.QuotaThresholdReached,
			Data: events.QuotaThresholdReachedData{ChatbotID: bot, Period: "daily", PeriodStart: time.Now().UTC().Truncate(24 * time.Hour),
				Threshold: th, Limit: 1000, Used: th * 10}}).Position
	}
	w.smtp.WaitFor(t, 10*time.Second, "quota mails", func(m []testkit.Mail) bool { return len(m) >= 6 })
	w.waitHandled("mail_quota_threshold", last)
	got = w.smtp.Received()
	if len(got) != 6 || len(mailsTo(got, "carl@acme.example")) != 0 || len(mailsTo(got, "dora@globex.example")) != 0 {
		t.Errorf("%d mails; the user or the other company's manager got some", len(got))
	}
	if m := mailsTo(got, "bob@acme.example"); len(m) != 3 || !strings.Contains(m[2].Data, "100 %") && !strings.Contains(m[1].Data, "100 %") {
		t.Errorf("bob's quota mails: %d", len(m))
	}
}

// A password change mails the account, saying who changed it and what
// was signed out, with the way back if it was not the user.
func TestPasswordChangeMailsTheAccount(t *testing.T) {
	w := newWorld(t)
	company := uuid.NewString()
	uid := w.user(company, company, "ada@example.com", "company")
	w.append(userRef(company, uid), events.Event{Type: events.PasswordChanged, Data: events.PasswordChangedData{By: "self"}})
	got := w.smtp.WaitFor(t, 10*time.Second, "password mail", func(m []testkit.Mail) bool { return len(m) == 1 })
	for _, want := range []string{"Subject: Your password was changed", "other sessions were signed out", "wasn't you", "https://app.example.com/reset"} {
		if !strings.Contains(strings.ReplaceAll(got[0].Data, "=\r\n", ""), want) {
			t.Errorf("the mail lacks %q:\n%s", want, got[0].Data)
		}
	}
}
