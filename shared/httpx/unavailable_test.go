package httpx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/nats-io/nats.go"

	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

func TestAStoreThatCannotBeReachedAnswers503WithRetryAfter(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	addr := closedAddr(t)
	_, pgErr := pgx.Connect(ctx, "postgres://postgres@"+addr+"/x?sslmode=disable&connect_timeout=2")
	_, natsErr := nats.Connect("nats://"+addr, nats.Timeout(time.Second))
	spent, cancelSpent := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancelSpent()
	<-spent.Done()
	for name, err := range map[string]error{
		"Postgres refused": pgErr,
		"NATS refused":     natsErr,
		"NATS timeout":     fmt.Errorf("load user: %w", nats.ErrTimeout),
		"deadline spent":   fmt.Errorf("append: %w", spent.Err()),
	} {
		if err == nil {
			t.Fatalf("%s: no error to classify", name)
		}
		p := ProblemFor(context.Background(), apperr.Internal(err))
		if p.Status != 503 || p.Code != "unavailable" || p.retryAfter < 1 {
			t.Errorf("%s (%v): %d %s retry %d, want 503 unavailable with Retry-After", name, err, p.Status, p.Code, p.retryAfter)
		}
		if p.Detail != unavailableDetail {
			t.Errorf("%s: detail %q tells the client more than that it should retry", name, p.Detail)
		}
	}
	if p := ProblemFor(context.Background(), errors.New("a bug")); p.Status != 500 || p.Code != "internal" {
		t.Errorf("a plain fault: %d %s, want 500 internal", p.Status, p.Code)
	}
}
