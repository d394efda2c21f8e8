package main

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/natsx"
)

// The compose stack's server grants the users what the embedded one does.
func TestComposeNATSUsersMatchTheEmbeddedServer(t *testing.T) {
	for _, v := range []string{"NATS_SERVICE_PASSWORD", "NATS_AUDIT_PASSWORD", "NATS_AUDIT_ACME_PASSWORD"} {
		t.Setenv(v, "x")
	}
	opts, err := server.ProcessConfigFile("../../docker/nats.conf")
	if err != nil {
		t.Fatal(err)
	}
	users := map[string]*server.User{}
	for _, u := range opts.Users {
		users[u.Username] = u
	}
	if svc := users[natsx.ServiceUser]; svc == nil || svc.Permissions != nil {
		t.Errorf("the service user %s: %+v, want one with the whole account", natsx.ServiceUser, svc)
	}
	audit := users[natsx.AuditUser]
	if audit == nil || audit.Permissions == nil {
		t.Fatalf("no audit user %s with permissions", natsx.AuditUser)
	}
	want := natsx.AuditPermissions(protectedConsumers(), protectedStreams()...)
	same := func(name string, got, want *server.SubjectPermission) {
		if !sameSet(got.Allow, want.Allow) || !sameSet(got.Deny, want.Deny) {
			t.Errorf("%s of %s in docker/nats.conf:\n got %v\nwant %v", name, natsx.AuditUser, got, want)
		}
	}
	same("publish", audit.Permissions.Publish, want.Publish)
	same("subscribe", audit.Permissions.Subscribe, want.Subscribe)
	if users["audit_acme"] == nil {
		t.Error("no example tenant audit user")
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// Every durable consumer serve keeps on EVENTS is one the audit user may
// not touch: a new projection or task is protected by being listed.
func TestTheAuditUserCannotTouchTheProductsConsumers(t *testing.T) {
	_, settings, _ := startWithMail(t) // with mail on, every task has its consumer
	js := streamOf(t, settings)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := js.Stream(ctx, events.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	protected := protectedConsumers()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var durables []string
		list := stream.ListConsumers(ctx)
		for info := range list.Info() {
			if info.Config.Durable != "" {
				durables = append(durables, info.Config.Durable)
			}
		}
		for _, d := range durables {
			if !slices.Contains(protected, d) {
				t.Errorf("serve keeps the durable consumer %s, which protectedConsumers (and docker/nats.conf) do not list", d)
			}
		}
		if len(durables) >= len(protected) || time.Now().After(deadline) || t.Failed() {
			if len(durables) < len(protected) {
				t.Errorf("durable consumers %v; protectedConsumers lists %v", durables, protected)
			}
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// The example tenant audit user of docker/nats.conf, on a server started
// from that file: it reads its tenant and nothing of another.
func TestComposeTenantAuditUserSeesItsTenantOnly(t *testing.T) {
	for v, pw := range map[string]string{"NATS_SERVICE_PASSWORD": "svc", "NATS_AUDIT_PASSWORD": "aud", "NATS_AUDIT_ACME_PASSWORD": "acme"} {
		t.Setenv(v, pw)
	}
	opts, err := server.ProcessConfigFile("../../docker/nats.conf")
	if err != nil {
		t.Fatal(err)
	}
	opts.Host, opts.Port, opts.HTTPPort, opts.StoreDir, opts.NoSigs = "127.0.0.1", -1, 0, t.TempDir(), true
	srv, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server from docker/nats.conf did not start")
	}
	t.Cleanup(srv.Shutdown)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	const tenant = "0190c6a2-7d1e-7c4e-9c5a-3f1e2d4c5b6a"

	svc, err := nats.Connect(srv.ClientURL(), nats.UserInfo("chatbotd", "svc"))
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	sjs, err := jetstream.New(svc)
	if err != nil {
		t.Fatalf("connect JetStream: %v", err)
	}
	if _, err := events.EnsureStream(ctx, sjs, 1); err != nil {
		t.Fatal(err)
	}
	for _, subj := range []string{"events.other.user.u1.UserRegistered", "events." + tenant + ".user.u2.UserRegistered"} {
		if _, err := sjs.Publish(ctx, subj, []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}

	v := &permissionErrors{}
	nc, err := nats.Connect(srv.ClientURL(), nats.UserInfo("audit_acme", "acme"), nats.CustomInboxPrefix("_INBOX_acme"), nats.ErrorHandler(v.add))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("connect JetStream: %v", err)
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, events.StreamName, jetstream.ConsumerConfig{Durable: "audit_acme", FilterSubject: "events." + tenant + ".>", AckPolicy: jetstream.AckExplicitPolicy})
	if err != nil {
		t.Fatalf("its durable consumer: %v", err)
	}
	m, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
	if err != nil || m.Subject() != "events."+tenant+".user.u2.UserRegistered" {
		t.Fatalf("next: %v", err)
	}
	if err := m.Ack(); err != nil {
		t.Fatalf("ack the message: %v", err)
	}

	short, cancelShort := context.WithTimeout(ctx, time.Second)
	defer cancelShort()
	if _, err := js.CreateOrUpdateConsumer(short, events.StreamName, jetstream.ConsumerConfig{Durable: "audit_acme", FilterSubject: "events.>"}); err == nil {
		t.Error("the tenant's consumer was widened to every tenant")
	}
	if _, err := nc.SubscribeSync("events.other.>"); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatalf("flush the connection: %v", err)
	}
	if !v.saw(`Subscription to "events.other.>"`) {
		t.Error("a subscription to another tenant was not refused")
	}
}

type permissionErrors struct {
	mu   sync.Mutex
	errs []string
}

func (p *permissionErrors) add(_ *nats.Conn, _ *nats.Subscription, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.errs = append(p.errs, err.Error())
}

// saw waits for a reported violation containing s: reports are asynchronous.
func (p *permissionErrors) saw(s string) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		p.mu.Lock()
		found := slices.ContainsFunc(p.errs, func(e string) bool { return strings.Contains(e, s) })
		p.mu.Unlock()
		if found {
			return true
		}
	}
	return false
}
