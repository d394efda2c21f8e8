package testkit

import (
	"net/url"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/chatbotsaas/chatbot/shared/natsx"
)

// NATS is an embedded JetStream server on a random port with its store in
// a temporary directory, and a connection to it as the service user. It
// takes no anonymous client, as in production.
type NATS struct {
	Server *natsx.Embedded
	Conn   *nats.Conn
	URL    string // with the service user's credentials in it
	Addr   string // host:port, e.g. for a Proxy in front of it
}

// URLAt is URL with another host:port (a Proxy's), keeping the
// credentials.
func (n *NATS) URLAt(addr string) string {
	u, _ := url.Parse(n.URL)
	u.Host = addr
	return u.String()
}

// StartNATS starts a server that syncs every write to disk, as the
// product does by default; it stops when the test ends.
func StartNATS(tb testing.TB) *NATS { return StartNATSWithSync(tb, "always") }

// StartNATSWithSync starts a server with another fsync policy, for tests
// that write far more than a user would.
func StartNATSWithSync(tb testing.TB, sync string) *NATS {
	tb.Helper()
	emb, err := natsx.StartEmbedded(natsx.EmbeddedOptions{
		Listen:       "127.0.0.1:0",
		StoreDir:     tb.TempDir(),
		SyncInterval: sync,
	})
	if err != nil {
		tb.Fatalf("start embedded NATS: %v", err)
	}
	tb.Cleanup(emb.Shutdown)
	u, err := url.Parse(emb.ClientURL())
	if err != nil {
		tb.Fatal(err)
	}
	svc := emb.Users().Service
	u.User = url.UserPassword(svc.User, svc.Password)
	nc, err := nats.Connect(u.String())
	if err != nil {
		tb.Fatalf("connect to embedded NATS: %v", err)
	}
	tb.Cleanup(nc.Close)
	return &NATS{Server: emb, Conn: nc, URL: u.String(), Addr: u.Host}
}
