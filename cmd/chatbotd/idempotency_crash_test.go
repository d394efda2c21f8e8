package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/shared/httpx"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// startBinary runs the built chatbotd as a child process, so a test can
// SIGKILL it.
func startBinary(t *testing.T, settings map[string]string) *exec.Cmd {
	t.Helper()
	cmd, _ := startChild(t, settings, "serve")
	waitReady(t, "http://"+settings["HTTP_ADDR"], 200, 20*time.Second)
	return cmd
}

// retryCreate retries one create under key until it is answered 201;
// meanwhile only 409 (a claim not yet abandoned) or 503 are acceptable.
func retryCreate(t *testing.T, c client, path, tok, key string) reply {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		r := c.do("POST", path, map[string]string{"name": "Helpdesk"}, append(bearer(tok), "Idempotency-Key", key)...)
		switch {
		case r.status == 201:
			return r
		case r.status != 409 && r.status != 503:
			t.Fatalf("a retry: %d %s", r.status, r.raw)
		case time.Now().After(deadline):
			t.Fatalf("still %d after 20 s: %s", r.status, r.raw)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// createdOnce checks the retried create is answered alike and made one chatbot.
func createdOnce(t *testing.T, c client, path, tok, key string, created reply) {
	t.Helper()
	again := c.do("POST", path, map[string]string{"name": "Helpdesk"}, append(bearer(tok), "Idempotency-Key", key)...)
	if again.str("id") != created.str("id") || again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("the answer again: %s / %s", created.raw, again.raw)
	}
	list := c.do("GET", path, nil, append(bearer(tok), "X-Min-Position", created.header.Get("X-Event-Position"))...)
	if n := len(list.items()); n != 1 {
		t.Errorf("%d chatbots made, want 1: %s", n, list.raw)
	}
}

func bucketKeys(t *testing.T, n *testkit.NATS) []string {
	t.Helper()
	js, err := jetstream.New(n.Conn)
	if err != nil {
		t.Fatalf("connect JetStream: %v", err)
	}
	kv, err := js.KeyValue(context.Background(), httpx.IdempotencyBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil // not made yet
	}
	if err != nil {
		t.Fatalf("open %s: %v", httpx.IdempotencyBucket, err)
	}
	keys, err := kv.Keys(context.Background())
	if err != nil && !errors.Is(err, jetstream.ErrNoKeysFound) {
		t.Fatalf("list the keys of %s: %v", httpx.IdempotencyBucket, err)
	}
	return keys
}

func TestACreateKilledMidRequestIsDoneOnceByTheRetry(t *testing.T) {
	n := brokerChild(t, "always")
	proxy := testkit.NewProxy(t, n.Addr)
	db := testkit.NewEmptyDatabase(t)
	settings := settingsFor(t, db.URL)
	settings["NATS_URL"], settings["REQUEST_TIMEOUT"], settings["BCRYPT_COST"] = n.URLAt(proxy.Addr()), "3s", "10"
	child := startBinary(t, settings)
	c := client{t: t, base: "http://" + settings["HTTP_ADDR"]}
	cid, tok, _ := owner(t, c, "owner@example.com")
	path := "/v1/companies/" + cid + "/chatbots"

	// The claim reaches NATS; what the create sends next hangs, and the
	// process is killed there.
	proxy.HoldAfter("$KV." + httpx.IdempotencyBucket + ".")
	req, err := http.NewRequest("POST", c.base+path, bytes.NewReader([]byte(`{"name":"Helpdesk"}`)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Idempotency-Key", "bot-1")
	failed := make(chan error, 1)
	go func() {
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			testkit.Close(t, "the response body", res.Body)
		}
		failed <- err
	}()
	for deadline := time.Now().Add(10 * time.Second); !proxy.Holding() || len(bucketKeys(t, n)) == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the create never claimed its key")
		}
	}
	kill9(t, child)
	if err := <-failed; err == nil {
		t.Fatal("the create was answered before the process was killed")
	}
	proxy.Release()

	startBinary(t, settings)
	created := retryCreate(t, c, path, tok, "bot-1")
	createdOnce(t, c, path, tok, "bot-1", created)
	if m := c.do("GET", "/metrics", nil); !strings.Contains(m.raw, "chatbot_idempotency_takeovers_total 1\n") {
		t.Error("the killed request's claim was not taken over")
	}
}

func TestACreateDuringANATSOutageIsDoneOnceAfterIt(t *testing.T) {
	n := brokerChild(t, "always")
	proxy := testkit.NewProxy(t, n.Addr)
	db := testkit.NewEmptyDatabase(t)
	settings := settingsFor(t, db.URL)
	settings["NATS_URL"], settings["REQUEST_TIMEOUT"] = n.URLAt(proxy.Addr()), "2s"
	start(t, settings, "serve")
	c := client{t: t, base: "http://" + settings["HTTP_ADDR"]}
	waitReady(t, c.base, 200, 15*time.Second)
	cid, tok, _ := owner(t, c, "owner@example.com")
	path := "/v1/companies/" + cid + "/chatbots"

	proxy.Cut()
	waitReady(t, c.base, 503, 10*time.Second)
	r := c.do("POST", path, map[string]string{"name": "Helpdesk"}, append(bearer(tok), "Idempotency-Key", "bot-1")...)
	if r.status != 503 || r.header.Get("Retry-After") == "" {
		t.Fatalf("during the outage: %d %s", r.status, r.raw)
	}
	proxy.Restore()
	waitReady(t, c.base, 200, 15*time.Second)
	created := retryCreate(t, c, path, tok, "bot-1")
	createdOnce(t, c, path, tok, "bot-1", created)
}
