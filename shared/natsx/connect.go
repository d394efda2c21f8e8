package natsx

import (
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// Connect dials url (or the in-process server when embedded is not nil,
// as its service user) and keeps reconnecting for as long as the process
// lives. auth are the credentials and TLS options for url (ClientAuth).
func Connect(serverURL string, embedded *Embedded, name string, log *slog.Logger, auth ...nats.Option) (*nats.Conn, error) {
	opts := []nats.Option{
		nats.Name(name),
		nats.CustomInboxPrefix(ServiceInboxPrefix),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(500 * time.Millisecond),
		nats.Timeout(5 * time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("NATS disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(c *nats.Conn) { log.Info("NATS reconnected", "server", c.ConnectedUrlRedacted()) }),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { log.Error("NATS async error", "err", err) }),
	}
	opts = append(opts, auth...)
	if embedded != nil {
		// An in-process connection authenticates like any other.
		svc := embedded.users.Service
		opts = append(opts, nats.InProcessServer(embedded.Server), nats.UserInfo(svc.User, svc.Password))
		serverURL = embedded.ClientURL()
	}
	nc, err := nats.Connect(serverURL, opts...)
	if err != nil {
		return nil, fmt.Errorf("cannot connect to NATS at %s (NATS_URL): %v", redact(serverURL), err)
	}
	return nc, nil
}

// redact drops credentials from each URL of a comma-separated list.
func redact(list string) string {
	parts := strings.Split(list, ",")
	for i, p := range parts {
		if u, err := url.Parse(strings.TrimSpace(p)); err == nil && u.User != nil {
			u.User = nil
			parts[i] = u.String()
		}
	}
	return strings.Join(parts, ",")
}
