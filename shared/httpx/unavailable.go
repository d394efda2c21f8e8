package httpx

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// unavailableRetryAfter is the pause suggested to a client whose request
// met a store that could not be reached: outages the product rides out
// (a restart, a failover) last seconds.
const unavailableRetryAfter = 2

// unavailableDetail is all a client learns of such a failure.
const unavailableDetail = "a service this request needs cannot be reached now; retry shortly"

// natsUnreachable are the NATS client's errors for a server it has no
// answer from.
var natsUnreachable = []error{
	nats.ErrTimeout, nats.ErrNoResponders, nats.ErrConnectionClosed, nats.ErrConnectionReconnecting,
	nats.ErrDisconnected, nats.ErrNoServers, nats.ErrReconnectBufExceeded, nats.ErrConnectionDraining,
	jetstream.ErrNoStreamResponse, jetstream.ErrNoHeartbeat, jetstream.ErrServerShutdown,
}

// unreachable tells whether an unexpected error is a store that cannot be
// reached now rather than a fault of the product: a connection refused,
// lost or timed out, a server shutting down, or the request's own deadline
// spent waiting for one. Such a request is worth retrying: it answers 503
// with Retry-After, never 500.
func unreachable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) {
		return true
	}
	for _, e := range natsUnreachable {
		if errors.Is(err, e) {
			return true
		}
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	if errors.As(err, &connectErr) || errors.As(err, &netErr) || pgconn.Timeout(err) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Class 08 (connection exception), 57P01-57P03 (shutdown, crash,
		// cannot connect now).
		return pgErr.Code[:2] == "08" || pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	return false
}

// unavailableProblem is the 503 of a request that met an unreachable store;
// the cause goes to the request's access line, not to the client.
func unavailableProblem(ctx context.Context, cause error) *Problem {
	noteFailure(ctx, cause)
	p := newProblem(ctx, http.StatusServiceUnavailable, "unavailable", unavailableDetail)
	p.retryAfter = unavailableRetryAfter
	return p
}
