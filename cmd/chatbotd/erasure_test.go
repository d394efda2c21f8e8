package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/natsx"
	"github.com/chatbotsaas/chatbot/shared/pii"
)

// streamOf connects to the embedded server of a running serve.
func streamOf(t *testing.T, settings map[string]string) jetstream.JetStream {
	t.Helper()
	addr, err := os.ReadFile(filepath.Join(settings["DATA_DIR"], natsx.AddrFile))
	if err != nil {
		t.Fatal(err)
	}
	users, err := natsx.EmbeddedUsers(settings["DATA_DIR"], nil)
	if err != nil {
		t.Fatal(err)
	}
	nc, err := nats.Connect(strings.TrimSpace(string(addr)), nats.UserInfo(users.Service.User, users.Service.Password))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("connect JetStream: %v", err)
	}
	return js
}

// userEvents reads every stored event of one user, raw.
func userEvents(t *testing.T, js jetstream.JetStream, tenant, uid string) []events.Envelope {
	return storedEvents(t, js, events.AggregateFilter(tenant, events.AggregateUser, uid))
}

// storedEvents reads every stored event on subjects matching filter, raw.
func storedEvents(t *testing.T, js jetstream.JetStream, filter string) []events.Envelope {
	t.Helper()
	ctx := context.Background()
	cons, err := js.OrderedConsumer(ctx, events.StreamName, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{filter},
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []events.Envelope
	for {
		batch, err := cons.FetchNoWait(100)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for m := range batch.Messages() {
			meta, err := m.Metadata()
			if err != nil {
				t.Fatalf("read the metadata of a message: %v", err)
			}
			env, err := events.Unmarshal(m.Data(), meta.Sequence.Stream)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, env)
			n++
		}
		if n == 0 {
			return out
		}
	}
}

func TestPersonalDataIsSealedAndErasedWithTheUser(t *testing.T) {
	c, settings := startIdentity(t)
	admin := adminToken(t, c, settings)
	su := c.do("POST", "/v1/auth/signup", map[string]string{"company_name": "Analytical Engines", "name": "Grace Brewster Hopper",
		"email": "grace@example.com", "password": "correct horse battery"})
	uid, tenant := su.str("user_id"), su.str("company_id")
	c.do("POST", "/v1/auth/login", map[string]string{"email": "grace@example.com", "password": "correct horse battery"}, "User-Agent", "GraceAgent/7.1")
	c.do("POST", "/v1/auth/login", map[string]string{"email": "grace@example.com", "password": "not her password"}, "User-Agent", "GraceAgent/7.1")
	ren := c.do("PATCH", "/v1/admin/users/"+uid, map[string]string{"name": "Amazing Grace"}, bearer(admin)...)
	if ren.status != 200 {
		t.Fatalf("rename: %d %s", ren.status, ren.raw)
	}

	// Read models have the data in clear, the stream never.
	got := c.do("GET", "/v1/admin/users/"+uid, nil, append(bearer(admin), "X-Min-Position", ren.header.Get("X-Event-Position"))...)
	if got.str("email") != "grace@example.com" || got.str("name") != "Amazing Grace" {
		t.Fatalf("read model: %s", got.raw)
	}
	attempts := c.do("GET", "/v1/admin/users/"+uid+"/login-attempts", nil, bearer(admin)...)
	if !strings.Contains(attempts.raw, "GraceAgent/7.1") {
		t.Errorf("login attempts lost the user agent: %s", attempts.raw)
	}
	js := streamOf(t, settings)
	stored := userEvents(t, js, tenant, uid)
	if len(stored) < 4 {
		t.Fatalf("want the user's events, have %d", len(stored))
	}
	sessions := storedEvents(t, js, events.SubjectPrefix+"."+tenant+"."+events.AggregateSession+".>")
	if len(sessions) == 0 {
		t.Fatal("want the user's session events")
	}
	stored = append(stored, sessions...)
	clear := []string{"grace@example.com", "Grace Brewster", "Amazing Grace", "GraceAgent", "127.0.0.1"}
	for _, env := range stored {
		for _, s := range clear {
			if strings.Contains(string(env.Data), s) {
				t.Errorf("%s carries %q in clear: %s", env.Type, s, env.Data)
			}
		}
	}
	audit := c.do("GET", "/v1/admin/events?aggregate_id="+uid, nil, bearer(admin)...)
	for _, s := range clear {
		if strings.Contains(audit.raw, s) {
			t.Errorf("the audit log shows %q", s)
		}
	}

	del := c.do("DELETE", "/v1/admin/users/"+uid, nil, bearer(admin)...)
	if del.status != 204 {
		t.Fatalf("delete: %d %s", del.status, del.raw)
	}
	ctx := context.Background()
	keys, err := js.KeyValue(ctx, pii.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Get(ctx, uid); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Errorf("the data key survived the deletion: %v", err)
	}
	snaps, err := js.KeyValue(ctx, eventstore.SnapshotBucket)
	if err != nil {
		t.Fatalf("open the bucket: %v", err)
	}
	if _, err := snaps.Get(ctx, tenant+"."+events.AggregateUser+"."+uid); !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Errorf("a snapshot survived the deletion: %v", err)
	}

	// Whoever holds the key-encryption key and reads the stream, as a
	// rebuild does, finds nothing left to open.
	kek, err := pii.LoadKEK("", settings["DATA_DIR"], nil)
	if err != nil {
		t.Fatal(err)
	}
	vault, err := pii.Open(ctx, js, kek, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range append(userEvents(t, js, tenant, uid), storedEvents(t, js, events.SubjectPrefix+"."+tenant+"."+events.AggregateSession+".>")...) {
		data, err := events.Default.Decode(&env)
		if err != nil {
			t.Fatal(err)
		}
		if err := vault.OpenData(ctx, env.AggregateID, data); err != nil {
			t.Fatal(err)
		}
		if f, ok := data.(pii.Fields); ok {
			for _, v := range f.PersonalFields() {
				if *v != pii.Erased {
					t.Errorf("%s still opens after erasure: %q", env.Type, *v)
				}
			}
		}
	}
	if r := c.do("GET", "/v1/admin/users/"+uid, nil, append(bearer(admin), "X-Min-Position", del.header.Get("X-Event-Position"))...); r.status != 404 {
		t.Errorf("a deleted user: %d", r.status)
	}
}
