package query_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/projector"
	"github.com/chatbotsaas/chatbot/query"
	"github.com/chatbotsaas/chatbot/readmodel"
	"github.com/chatbotsaas/chatbot/shared/httpx"
	"github.com/chatbotsaas/chatbot/shared/observability"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

type pinged struct {
	Note string `json:"note"`
}

type eventInput struct {
	query.ReadHeaders
	ID string `path:"id"`
}

type eventOutput struct {
	Body struct {
		Type string `json:"type"`
	}
}

// A read that names the position of a just-acknowledged write sees it.
func TestReadWithMinPositionSeesTheWrite(t *testing.T) {
	db := testkit.NewDatabase(t)
	n := testkit.StartNATS(t)
	js, err := jetstream.New(n.Conn)
	if err != nil {
		t.Fatalf("connect JetStream: %v", err)
	}
	reg := events.NewRegistry()
	events.Register[pinged](reg, "Pinged", 1, "test")
	ctx := context.Background()
	store, err := eventstore.Open(ctx, js, eventstore.Options{Registry: reg})
	if err != nil {
		t.Fatal(err)
	}
	runner := projector.New(projector.Deps{Pool: db.Pool, JS: js, Registry: reg, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
		[]projector.Projection{projector.EventLog()}, projector.Options{})
	if err := runner.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer runner.Stop()

	follower, err := readmodel.Follow(n.Conn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer follower.Close()
	const bound = time.Second
	side := query.New(query.Deps{Pool: db.Pool, ReadWait: bound,
		Progress: projector.NewProgress(db.Pool, js, projector.All()), Follower: follower})
	metrics := observability.NewMetrics()
	srv := httpx.New(httpx.Options{Title: "t", Version: "t", BodyLimit: 1 << 20, ReadTimeout: 5 * time.Second,
		WriteTimeout: 5 * time.Second, IdleTimeout: 5 * time.Second, RequestTimeout: 5 * time.Second,
		Origins: httpx.NewOrigins(nil), Metrics: metrics, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	huma.Get(srv.API, "/test-events/{id}", func(ctx context.Context, in *eventInput) (*eventOutput, error) {
		if err := side.Await(ctx, in.MinPosition, "event_log"); err != nil {
			return nil, err
		}
		out := &eventOutput{}
		err := db.Pool.QueryRow(ctx, "SELECT type FROM rm_event_log_v1 WHERE event_id = $1", in.ID).Scan(&out.Body.Type)
		return out, err
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	testkit.Serve(t, ln, srv.App.Listener, srv.App.Shutdown)

	for i := range 20 {
		res, err := store.Append(ctx, eventstore.Ref{Tenant: "t1", Type: "ping", ID: uuid.NewString()}, eventstore.Loaded{},
			events.Event{Type: "Pinged", Data: pinged{Note: strconv.Itoa(i)}})
		if err != nil {
			t.Fatal(err)
		}
		req, err := http.NewRequest("GET", "http://"+ln.Addr().String()+"/test-events/"+res.Envelopes[0].ID, nil)
		if err != nil {
			t.Fatalf("build the request: %v", err)
		}
		req.Header.Set("X-Min-Position", strconv.FormatUint(res.Position, 10))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var out struct{ Type string }
		err = json.NewDecoder(resp.Body).Decode(&out)
		testkit.Close(t, "the response body", resp.Body)
		if err != nil || resp.StatusCode != 200 || out.Type != "Pinged" {
			t.Fatalf("read %d after its write: status %d, %+v (%v)", i, resp.StatusCode, out, err)
		}
	}

	// A position nobody reached answers 503 projection_lagging with Retry-After.
	lagging(t, ln.Addr().String(), 999999, bound)

	// With the projector stopped, a new write's position answers 503 at
	// the bound, not seconds after it.
	runner.Stop()
	res, err := store.Append(ctx, eventstore.Ref{Tenant: "t1", Type: "ping", ID: uuid.NewString()}, eventstore.Loaded{},
		events.Event{Type: "Pinged", Data: pinged{Note: "unseen"}})
	if err != nil {
		t.Fatal(err)
	}
	lagging(t, ln.Addr().String(), res.Position, bound)
}

// lagging asserts that a read at position pos answers 503
// projection_lagging with Retry-After, once the bound has passed and well
// before a second more (generous for a loaded machine).
func lagging(t *testing.T, addr string, pos uint64, bound time.Duration) {
	t.Helper()
	req, err := http.NewRequest("GET", "http://"+addr+"/test-events/"+uuid.NewString(), nil)
	if err != nil {
		t.Fatalf("build the request: %v", err)
	}
	req.Header.Set("X-Min-Position", strconv.FormatUint(pos, 10))
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	var p httpx.Problem
	err = json.NewDecoder(resp.Body).Decode(&p)
	testkit.Close(t, "the response body", resp.Body)
	if err != nil || resp.StatusCode != 503 || p.Code != "projection_lagging" || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("position %d: %d %+v Retry-After %q (%v)", pos, resp.StatusCode, p, resp.Header.Get("Retry-After"), err)
	}
	if took < bound || took > bound+time.Second {
		t.Fatalf("position %d: 503 after %v, want at the bound of %v", pos, took, bound)
	}
}
