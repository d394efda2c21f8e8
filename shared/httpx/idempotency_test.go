package httpx_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/httpx"
	"github.com/chatbotsaas/chatbot/shared/observability"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// idemServer is an API with Idempotency-Key on a real NATS server reached
// through a proxy that can cut or hold the connection.
type idemServer struct {
	t       *testing.T
	base    string
	proxy   *testkit.Proxy
	nc      *nats.Conn          // the server's connection, through the proxy
	js      jetstream.JetStream // the test's own, direct
	creates atomic.Int64
	// sabotage, when set, runs inside the next create, after its work.
	sabotage atomic.Pointer[func()]

	mu      sync.Mutex
	revoked map[string]bool
}

type whoKey struct{}

type createInput struct {
	Kind string `path:"kind"`
	Body struct {
		Name  string `json:"name"`
		Email string `json:"email,omitempty"`
	}
}

type createOutput struct {
	Body struct {
		N      int64  `json:"n"`
		Secret string `json:"secret"`
		Email  string `json:"email,omitempty"`
	}
}

func startIdempotent(t *testing.T, requestTimeout time.Duration) *idemServer {
	t.Helper()
	n := testkit.StartNATS(t)
	s := &idemServer{t: t, proxy: testkit.NewProxy(t, n.Addr), revoked: map[string]bool{}}
	nc, err := nats.Connect(n.URLAt(s.proxy.Addr()), nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	s.nc = nc
	if s.js, err = jetstream.New(n.Conn); err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream.New: %v", err)
	}
	metrics := observability.NewMetrics()
	idem, err := httpx.OpenIdempotency(context.Background(), js, httpx.IdempotencyOptions{
		RequestTimeout: requestTimeout, Registry: metrics.Registry, Logger: observability.NewLogger(io.Discard, "error", "text")})
	if err != nil {
		t.Fatal(err)
	}
	srv := httpx.New(httpx.Options{Title: "t", Version: "t", BodyLimit: 1 << 20, ReadTimeout: 5 * time.Second,
		WriteTimeout: 5 * time.Second, IdleTimeout: 5 * time.Second, RequestTimeout: requestTimeout,
		Origins: httpx.NewOrigins(nil), Metrics: metrics, Logger: observability.NewLogger(io.Discard, "error", "text")})
	httpx.RegisterOps(srv, nil, metrics.Registry)
	srv.API.UseMiddleware(s.guard(srv.API))
	idem.Attach(srv.API, func(ctx huma.Context) (string, error) {
		who, _ := ctx.Context().Value(whoKey{}).(string)
		return who, nil
	})
	huma.Register(srv.API, huma.Operation{OperationID: "create", Method: http.MethodPost, Path: "/things/{kind}", DefaultStatus: 201},
		func(_ context.Context, in *createInput) (*createOutput, error) {
			out := &createOutput{}
			out.Body.N = s.creates.Add(1)
			out.Body.Secret = fmt.Sprintf("cbk_secret%d", out.Body.N)
			out.Body.Email = in.Body.Email
			if f := s.sabotage.Swap(nil); f != nil {
				(*f)()
			}
			return out, nil
		})
	huma.Register(srv.API, httpx.NoIdempotency(huma.Operation{OperationID: "login", Method: http.MethodPost, Path: "/login"}),
		func(context.Context, *struct{}) (*createOutput, error) {
			out := &createOutput{}
			out.Body.N = s.creates.Add(1)
			return out, nil
		})
	huma.Register(srv.API, huma.Operation{OperationID: "refuse", Method: http.MethodPost, Path: "/refused"},
		func(context.Context, *struct{}) (*createOutput, error) {
			s.creates.Add(1)
			return nil, apperr.New(apperr.KindConflict, "conflict", "not now")
		})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	testkit.Serve(t, ln, srv.App.Listener, srv.App.Shutdown)
	s.base = "http://" + ln.Addr().String()
	return s
}

// guard stands for the product's: "Bearer <name>" authenticates name
// unless it was revoked.
func (s *idemServer) guard(api huma.API) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		who, ok := strings.CutPrefix(ctx.Header("Authorization"), "Bearer ")
		s.mu.Lock()
		refused := !ok || s.revoked[who]
		s.mu.Unlock()
		if refused {
			if err := huma.WriteErr(api, ctx, 401, "", apperr.New(apperr.KindUnauthenticated, "unauthenticated", "who are you")); err != nil {
				s.t.Errorf("answer 401: %v", err)
			}
			return
		}
		next(huma.WithValue(ctx, whoKey{}, who))
	}
}

func (s *idemServer) post(t *testing.T, path, who, key, body string) answer {
	t.Helper()
	return do(t, "POST", s.base+path, "application/json", []byte(body), "Authorization", "Bearer "+who, "Idempotency-Key", key)
}

// dump reads every message the bucket's stream holds, subjects and data.
func (s *idemServer) dump(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	stream, err := s.js.Stream(ctx, "KV_"+httpx.IdempotencyBucket)
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		if m, err := stream.GetMsg(ctx, seq); err == nil {
			fmt.Fprintf(&b, "%s %s %v\n", m.Subject, m.Data, m.Header)
		}
	}
	return b.String()
}

func TestIdempotentReplayOnlyReachesACallerTheGuardAccepts(t *testing.T) {
	s := startIdempotent(t, 5*time.Second)
	first := s.post(t, "/things/a", "ada", "k-1", `{"name":"one"}`)
	again := s.post(t, "/things/a", "ada", "k-1", `{"name":"one"}`)
	if first.status != 201 || again.status != 201 || again.body != first.body || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("a retry: %d %s / %d %s %v", first.status, first.body, again.status, again.body, again.header)
	}
	if r := s.post(t, "/things/a", "ada", "k-1", `{"name":"two"}`); r.status != 422 {
		t.Errorf("the same key with another body: %d %s", r.status, r.body)
	}
	if r := s.post(t, "/things/a", "bob", "k-1", `{"name":"one"}`); r.status != 201 || r.header.Get("Idempotent-Replayed") != "" {
		t.Errorf("another caller's same key is another request: %d %v", r.status, r.header)
	}
	if r := s.post(t, "/things/b", "ada", "k-1", `{"name":"one"}`); r.header.Get("Idempotent-Replayed") != "" {
		t.Errorf("another path's same key is another request: %v", r.header)
	}

	s.mu.Lock()
	s.revoked["ada"] = true
	s.mu.Unlock()
	if r := s.post(t, "/things/a", "ada", "k-1", `{"name":"one"}`); r.status != 401 || strings.Contains(r.body, "cbk_") {
		t.Errorf("a revoked caller's replay: %d %s", r.status, r.body)
	}
	if n := s.creates.Load(); n != 3 {
		t.Errorf("%d creates, want 3", n)
	}

	m := do(t, "GET", s.base+"/metrics", "", nil)
	if !strings.Contains(m.body, `chatbot_http_requests_total{method="POST",route="/things/:kind",status="201"} 4`) {
		t.Errorf("replays are not counted under their route:\n%s", grepLines(m.body, "chatbot_http_requests_total"))
	}
}

func TestIdempotencyKeyIsIgnoredWhereTheRouteSaysSo(t *testing.T) {
	s := startIdempotent(t, 5*time.Second)
	a := s.post(t, "/login", "ada", "k-1", `{}`)
	b := s.post(t, "/login", "ada", "k-1", `{}`)
	if a.status != 200 || b.status != 200 || a.body == b.body || b.header.Get("Idempotent-Replayed") != "" {
		t.Errorf("a login was replayed: %s / %s %v", a.body, b.body, b.header)
	}
	if d := s.dump(t); d != "" {
		t.Errorf("a login was stored:\n%s", d)
	}

	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct{ Name, In string }
		}
	}
	if err := json.Unmarshal([]byte(do(t, "GET", s.base+"/openapi.json", "", nil).body), &doc); err != nil {
		t.Fatal(err)
	}
	documented := func(path string) bool {
		for _, p := range doc.Paths[path]["post"].Parameters {
			if p.Name == "Idempotency-Key" && p.In == "header" {
				return true
			}
		}
		return false
	}
	if !documented("/things/{kind}") || documented("/login") {
		t.Errorf("the OpenAPI documents Idempotency-Key on a create: %v, on a login: %v", documented("/things/{kind}"), documented("/login"))
	}
}

func TestAFailedRequestLetsGoOfItsKey(t *testing.T) {
	s := startIdempotent(t, 5*time.Second)
	for range 2 {
		if r := s.post(t, "/refused", "ada", "k-1", `{}`); r.status != 409 || r.header.Get("Idempotent-Replayed") != "" {
			t.Fatalf("a refused request: %d %v", r.status, r.header)
		}
	}
	if n := s.creates.Load(); n != 2 {
		t.Errorf("the failed request ran %d times, want 2", n)
	}
}

func TestTheBucketHoldsNoSecretInClear(t *testing.T) {
	s := startIdempotent(t, 5*time.Second)
	key := "c0ffee00-1111-4222-8333-444455556666"
	first := s.post(t, "/things/a", "ada", key, `{"name":"plaintext-name","email":"ada@example.com"}`)
	if first.status != 201 || !strings.Contains(first.body, "cbk_secret1") {
		t.Fatalf("create: %d %s", first.status, first.body)
	}
	d := s.dump(t)
	if d == "" {
		t.Fatal("the bucket is empty")
	}
	for _, secret := range []string{"cbk_", "secret1", "ada@example.com", "plaintext-name", `"n":`, key} {
		if strings.Contains(d, secret) {
			t.Errorf("the bucket holds %q:\n%s", secret, d)
		}
	}
	// The retry still gets the key it asked for.
	if r := s.post(t, "/things/a", "ada", key, `{"name":"plaintext-name","email":"ada@example.com"}`); r.body != first.body {
		t.Errorf("the replay: %s", r.body)
	}
}

func grepLines(text, word string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
