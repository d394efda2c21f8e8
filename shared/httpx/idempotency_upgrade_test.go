package httpx_test

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/shared/httpx"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

func TestAnswersKeptInClearByAnEarlierVersionAreDropped(t *testing.T) {
	ctx := context.Background()
	n := testkit.StartNATS(t)
	js, err := jetstream.New(n.Conn)
	if err != nil {
		t.Fatalf("jetstream.New: %v", err)
	}
	old, err := js.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: httpx.IdempotencyBucket,
		Description: "answers of POST requests sent with an Idempotency-Key, kept 24 h", History: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Put(ctx, "abc", []byte(`{"done":true,"body":"{\"key\":\"cbk_x\"}"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := httpx.OpenIdempotency(ctx, js, httpx.IdempotencyOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := old.Put(ctx, "new", []byte("sealed")); err != nil {
		t.Fatal(err)
	}
	// A second start keeps what the first wrote.
	if _, err := httpx.OpenIdempotency(ctx, js, httpx.IdempotencyOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := old.Get(ctx, "abc"); err == nil {
		t.Error("an answer kept in clear survived the upgrade")
	}
	if _, err := old.Get(ctx, "new"); err != nil {
		t.Errorf("a second start dropped a sealed entry: %v", err)
	}
}
