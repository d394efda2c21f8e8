package events

import (
	"context"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/shared/testkit"
)

func TestAnEnsuredStreamMatchesItsDefinition(t *testing.T) {
	n := testkit.StartNATS(t)
	js, err := jetstream.New(n.Conn)
	if err != nil {
		t.Fatalf("connect JetStream: %v", err)
	}
	if _, err := EnsureStream(context.Background(), js, 1); err != nil {
		t.Fatal(err)
	}
	s2, err := js.Stream(context.Background(), StreamName)
	if err != nil {
		t.Fatalf("look up the stream: %v", err)
	}
	if !matches(s2.CachedInfo().Config, StreamConfig(1)) {
		t.Fatalf("an ensured stream does not match its definition: %+v", s2.CachedInfo().Config)
	}
}
