package natsx_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/shared/natsx"
)

// authServer is an embedded server with its users under a fresh DATA_DIR,
// a stream EVENTS holding one event, a bucket CREDENTIALS, and a durable
// consumer of chatbotd's own ("users").
type authServer struct {
	emb   *natsx.Embedded
	users *natsx.Users
	svc   jetstream.JetStream
	dir   string
}

func startAuthServer(t *testing.T) *authServer {
	t.Helper()
	dir := t.TempDir()
	users, err := natsx.EmbeddedUsers(dir, []string{"users"})
	if err != nil {
		t.Fatal(err)
	}
	emb, err := natsx.StartEmbedded(natsx.EmbeddedOptions{Listen: "127.0.0.1:0", StoreDir: filepath.Join(dir, "nats"), SyncInterval: "always", Users: users})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emb.Shutdown)
	nc, err := natsx.Connect("", emb, "service", discardLogger())
	if err != nil {
		t.Fatalf("the service user cannot connect in process: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream.New: %v", err)
	}
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "EVENTS", Subjects: []string{"events.>", "timers.>"}, AllowDirect: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.Publish(ctx, "events.t1.user.u1.UserRegistered", []byte(`{"n":1}`)); err != nil {
		t.Fatal(err)
	}
	kv, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: "CREDENTIALS"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := kv.Put(ctx, "u1", []byte("$2a$11$hash")); err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateOrUpdateConsumer(ctx, "EVENTS", jetstream.ConsumerConfig{Durable: "users", AckPolicy: jetstream.AckAllPolicy}); err != nil {
		t.Fatal(err)
	}
	return &authServer{emb: emb, users: users, svc: js, dir: dir}
}

// violations collects the permission errors the server reports.
type violations struct {
	mu   sync.Mutex
	errs []string
}

func (v *violations) handler(_ *nats.Conn, _ *nats.Subscription, err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.errs = append(v.errs, err.Error())
}

// saw waits for the server's report of a violation naming subject: the
// reports arrive asynchronously.
func (v *violations) saw(subject string) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		v.mu.Lock()
		for _, e := range v.errs {
			if strings.Contains(e, subject) {
				v.mu.Unlock()
				return true
			}
		}
		v.mu.Unlock()
	}
	return false
}

func (s *authServer) connectAudit(t *testing.T) (*nats.Conn, jetstream.JetStream, *violations) {
	t.Helper()
	v := &violations{}
	nc, err := nats.Connect(s.emb.ClientURL(), nats.UserInfo(s.users.Audit.User, s.users.Audit.Password), nats.ErrorHandler(v.handler))
	if err != nil {
		t.Fatalf("audit user: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream.New: %v", err)
	}
	return nc, js, v
}

func (s *authServer) messages(t *testing.T) uint64 {
	t.Helper()
	st, err := s.svc.Stream(context.Background(), "EVENTS")
	if err != nil {
		t.Fatal(err)
	}
	return st.CachedInfo().State.Msgs
}

func TestTheEmbeddedServerRefusesAnonymousAndWrongCredentials(t *testing.T) {
	s := startAuthServer(t)
	if nc, err := nats.Connect(s.emb.ClientURL(), nats.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Fatal("an anonymous client connected")
	}
	if nc, err := nats.Connect(s.emb.ClientURL(), nats.UserInfo(natsx.AuditUser, "guess"), nats.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Fatal("a wrong password connected")
	}
	if nc, err := nats.Connect(s.emb.ClientURL(), nats.UserInfo(s.users.Service.User, s.users.Service.Password)); err != nil {
		t.Fatalf("the service user over TCP: %v", err)
	} else {
		nc.Close()
	}
}

func TestCredentialFilesAreGeneratedOnceAndPrivate(t *testing.T) {
	dir := t.TempDir()
	first, err := natsx.EmbeddedUsers(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	again, err := natsx.EmbeddedUsers(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if first.Service != again.Service || first.Audit != again.Audit || first.Service.Password == first.Audit.Password {
		t.Fatalf("the passwords changed between starts or are shared: %+v %+v", first, again)
	}
	for _, name := range []string{natsx.ServicePasswordFile, natsx.AuditPasswordFile} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s has mode %o, want 600", name, mode)
		}
	}
	switch b, err := os.ReadFile(filepath.Join(dir, natsx.AddrFile)); {
	case errors.Is(err, os.ErrNotExist), err == nil && len(b) == 0:
	case err != nil:
		t.Errorf("read %s: %v", natsx.AddrFile, err)
	default:
		t.Errorf("nats.addr written by EmbeddedUsers: %q", b)
	}
}

func TestTheAuditUserReadsTheStream(t *testing.T) {
	s := startAuthServer(t)
	nc, js, _ := s.connectAudit(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	sub, err := nc.SubscribeSync("events.>")
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatalf("flush the connection: %v", err)
	}
	if _, err := s.svc.Publish(ctx, "events.t1.user.u1.LoginSucceeded", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	if m, err := sub.NextMsg(5 * time.Second); err != nil || m.Subject != "events.t1.user.u1.LoginSucceeded" {
		t.Fatalf("subscription to events.>: %v %v", m, err)
	}

	stream, err := js.Stream(ctx, "EVENTS")
	if err != nil {
		t.Fatalf("stream info: %v", err)
	}
	if got, err := stream.GetMsg(ctx, 1); err != nil || got.Subject != "events.t1.user.u1.UserRegistered" {
		t.Fatalf("direct get: %v %v", got, err)
	}
	if _, err := stream.GetLastMsgForSubject(ctx, "events.t1.user.u1.>"); err != nil {
		t.Fatalf("direct get by subject: %v", err)
	}

	ordered, err := js.OrderedConsumer(ctx, "EVENTS", jetstream.OrderedConsumerConfig{FilterSubjects: []string{"events.t1.>"}})
	if err != nil {
		t.Fatalf("ordered consumer: %v", err)
	}
	if m, err := ordered.Next(jetstream.FetchMaxWait(5 * time.Second)); err != nil || m.Subject() != "events.t1.user.u1.UserRegistered" {
		t.Fatalf("ordered consumer next: %v", err)
	}

	durable, err := js.CreateOrUpdateConsumer(ctx, "EVENTS", jetstream.ConsumerConfig{Durable: "audit_all", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatalf("durable consumer: %v", err)
	}
	m, err := durable.Next(jetstream.FetchMaxWait(5 * time.Second))
	if err != nil {
		t.Fatalf("durable next: %v", err)
	}
	if err := m.DoubleAck(ctx); err != nil {
		t.Fatalf("ack: %v", err)
	}
	if _, err := durable.Info(ctx); err != nil {
		t.Fatalf("consumer info: %v", err)
	}
	if err := js.DeleteConsumer(ctx, "EVENTS", "audit_all"); err != nil {
		t.Fatalf("delete its durable: %v", err)
	}
}

func TestTheAuditUserChangesNothing(t *testing.T) {
	s := startAuthServer(t)
	nc, js, v := s.connectAudit(t)
	before := s.messages(t)

	for _, subject := range []string{"events.t1.user.u1.UserRoleChanged", "timers.unlock.t1.u1.1"} {
		if err := nc.Publish(subject, []byte(`{"role":"admin"}`)); err != nil {
			t.Fatal(err)
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatalf("flush the connection: %v", err)
	}

	refused := []struct {
		name, subject string
		try           func(ctx context.Context) error
	}{
		{"purge the stream", "$JS.API.STREAM.PURGE.EVENTS", func(ctx context.Context) error {
			st, err := js.Stream(ctx, "EVENTS")
			if err != nil {
				return err
			}
			return st.Purge(ctx)
		}},
		{"delete the stream", "$JS.API.STREAM.DELETE.EVENTS", func(ctx context.Context) error { return js.DeleteStream(ctx, "EVENTS") }},
		{"read a password hash", "$JS.API.STREAM.INFO.KV_CREDENTIALS", func(ctx context.Context) error {
			kv, err := js.KeyValue(ctx, "CREDENTIALS")
			if err != nil {
				return err
			}
			_, err = kv.Get(ctx, "u1")
			return err
		}},
		{"retry a dead letter", "deadletters.retry.users", func(ctx context.Context) error {
			_, err := nc.RequestWithContext(ctx, "deadletters.retry.users", []byte(`{"id":"x"}`))
			return err
		}},
		{"delete chatbotd's consumer", "$JS.API.CONSUMER.DELETE.EVENTS.users", func(ctx context.Context) error {
			return js.DeleteConsumer(ctx, "EVENTS", "users")
		}},
		{"repoint chatbotd's consumer", "$JS.API.CONSUMER.CREATE.EVENTS.users", func(ctx context.Context) error {
			_, err := js.CreateOrUpdateConsumer(ctx, "EVENTS", jetstream.ConsumerConfig{Durable: "users", FilterSubject: "events.none.>", AckPolicy: jetstream.AckAllPolicy})
			return err
		}},
	}
	t.Run("refused", func(t *testing.T) {
		for _, r := range refused {
			t.Run(r.name, func(t *testing.T) {
				t.Parallel() // each refusal waits for its request to time out
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				if err := r.try(ctx); err == nil {
					t.Fatal("allowed")
				}
				if err := nc.Flush(); err != nil {
					t.Fatalf("flush the connection: %v", err)
				}
				if !v.saw(r.subject) {
					t.Errorf("no permissions violation for %s", r.subject)
				}
			})
		}
	})
	if !v.saw("events.t1.user.u1.UserRoleChanged") || !v.saw("timers.unlock") {
		t.Errorf("publishes into the stream not reported as violations")
	}
	if after := s.messages(t); after != before {
		t.Errorf("the stream went from %d to %d messages", before, after)
	}
	if _, err := s.svc.Consumer(context.Background(), "EVENTS", "users"); err != nil {
		t.Errorf("chatbotd's consumer: %v", err)
	}
}

func TestTheAuditUserCannotReadChatbotdsReplies(t *testing.T) {
	s := startAuthServer(t)
	nc, _, v := s.connectAudit(t)
	if _, err := nc.SubscribeSync(natsx.ServiceInboxPrefix + ".>"); err != nil {
		t.Fatal(err)
	}
	if _, err := nc.SubscribeSync("$KV.CREDENTIALS.>"); err != nil {
		t.Fatal(err)
	}
	// Nor pose as the process that answers a dead letter's retry.
	if _, err := nc.SubscribeSync("deadletters.retry.users"); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatalf("flush the connection: %v", err)
	}
	for _, subj := range []string{natsx.ServiceInboxPrefix + ".>", "$KV.CREDENTIALS.>", "deadletters.retry.users"} {
		if !v.saw(subj) {
			t.Errorf("subscription to %s not refused", subj)
		}
	}
}

func TestClientAuthConnectsWithAPasswordFile(t *testing.T) {
	s := startAuthServer(t)
	file := filepath.Join(s.dir, natsx.ServicePasswordFile)
	opts, err := natsx.ClientAuth{User: natsx.ServiceUser, PasswordFile: file}.Options()
	if err != nil {
		t.Fatal(err)
	}
	nc, err := natsx.Connect(s.emb.ClientURL(), nil, "external", discardLogger(), opts...)
	if err != nil {
		t.Fatalf("with NATS_USER and NATS_PASSWORD_FILE: %v", err)
	}
	nc.Close()
	if _, err := (natsx.ClientAuth{User: natsx.ServiceUser, PasswordFile: filepath.Join(s.dir, "missing")}).Options(); err == nil || !strings.Contains(err.Error(), "NATS_PASSWORD_FILE") {
		t.Errorf("a missing password file: %v", err)
	}
}
