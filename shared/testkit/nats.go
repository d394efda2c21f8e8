package testkit

import (
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/chatbotsaas/chatbot/shared/natsx"
)

// NATS is an embedded JetStream server on a random port with its store in
// a temporary directory, and a connection to it.
type NATS struct {
	Server *natsx.Embedded
	Conn   *nats.Conn
	URL    string
}

// StartNATS starts a server for one test; it stops when the test ends.
func StartNATS(tb testing.TB) *NATS {
	tb.Helper()
	emb, err := natsx.StartEmbedded(natsx.EmbeddedOptions{
		Listen:       "127.0.0.1:0",
		StoreDir:     tb.TempDir(),
		SyncInterval: "always",
	})
	if err != nil {
		tb.Fatalf("start embedded NATS: %v", err)
	}
	tb.Cleanup(emb.Shutdown)
	nc, err := nats.Connect(emb.ClientURL())
	if err != nil {
		tb.Fatalf("connect to embedded NATS: %v", err)
	}
	tb.Cleanup(nc.Close)
	return &NATS{Server: emb, Conn: nc, URL: emb.ClientURL()}
}
