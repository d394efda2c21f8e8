package httpx_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/httpx"
	"github.com/chatbotsaas/chatbot/shared/observability"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

type thingInput struct {
	Body struct {
		Name  string `json:"name" minLength:"1" maxLength:"50"`
		Count int    `json:"count,omitempty" minimum:"0"`
	}
}

type thingOutput struct {
	Body struct {
		Name string `json:"name"`
	}
}

// The handlers log through the default logger; keep test output readable.
func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	os.Exit(m.Run())
}

// startServer serves a test app on a real loopback listener.
func startServer(t *testing.T, origins []string, checks []httpx.Check) string {
	t.Helper()
	metrics := observability.NewMetrics()
	srv := httpx.New(httpx.Options{
		Title: "test", Version: "test", BodyLimit: 1 << 20,
		ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second, IdleTimeout: 5 * time.Second,
		RequestTimeout: 5 * time.Second, Origins: httpx.NewOrigins(origins), Metrics: metrics,
		Logger: observability.NewLogger(io.Discard, "error", "text"),
	})
	httpx.RegisterOps(srv, checks, metrics.Registry)
	huma.Post(srv.API, "/things", func(_ context.Context, in *thingInput) (*thingOutput, error) {
		out := &thingOutput{}
		out.Body.Name = in.Body.Name
		return out, nil
	})
	huma.Get(srv.API, "/boom", func(context.Context, *struct{}) (*struct{}, error) {
		panic("open /srv/app/secret.go: password hunter2")
	})
	huma.Get(srv.API, "/fail", func(context.Context, *struct{}) (*struct{}, error) {
		return nil, errors.New(`pq: relation "users" does not exist: SELECT * FROM users`)
	})
	huma.Get(srv.API, "/limited", func(context.Context, *struct{}) (*struct{}, error) {
		return nil, &apperr.Error{Kind: apperr.KindTooMany, Code: "rate_limited", Message: "slow down", RetryAfter: 7}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	testkit.Serve(t, ln, srv.App.Listener, srv.App.Shutdown)
	return "http://" + ln.Addr().String()
}

type answer struct {
	status  int
	header  http.Header
	body    string
	problem httpx.Problem
}

func do(t *testing.T, method, url, contentType string, body []byte, headers ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer testkit.Close(t, "the response body", res.Body)
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read the answer: %v", method, url, err)
	}
	a := answer{status: res.StatusCode, header: res.Header, body: string(b)}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
		if err := json.Unmarshal(b, &a.problem); err != nil {
			t.Fatalf("problem body is not JSON: %q", b)
		}
	}
	return a
}

// leaks lists what a client must never see in an error body.
var leaks = []string{"pq:", "pgx", "goroutine", "/srv/", ".go", "SELECT", "hunter2", "panic"}

func assertNoLeak(t *testing.T, body string) {
	t.Helper()
	for _, l := range leaks {
		if strings.Contains(body, l) {
			t.Errorf("body leaks %q: %s", l, body)
		}
	}
}

func TestPanicAnswersProblemAndServerLives(t *testing.T) {
	base := startServer(t, nil, nil)
	a := do(t, "GET", base+"/boom", "", nil)
	if a.status != 500 || a.problem.Code != "internal" {
		t.Fatalf("got %d %q, want 500 internal", a.status, a.body)
	}
	if a.problem.RequestID == "" || a.problem.RequestID != a.header.Get("X-Request-Id") {
		t.Errorf("problem request_id %q, header %q", a.problem.RequestID, a.header.Get("X-Request-Id"))
	}
	assertNoLeak(t, a.body)
	if got := do(t, "GET", base+"/healthz", "", nil); got.status != 200 {
		t.Errorf("after a panic /healthz = %d, want 200", got.status)
	}
}

func TestInternalErrorNeverLeaks(t *testing.T) {
	base := startServer(t, nil, nil)
	a := do(t, "GET", base+"/fail", "", nil)
	if a.status != 500 || a.problem.Code != "internal" || a.problem.Type == "" || a.problem.Title == "" {
		t.Fatalf("got %d %s", a.status, a.body)
	}
	assertNoLeak(t, a.body)
}

func TestRetryAfterOnTooManyRequests(t *testing.T) {
	base := startServer(t, nil, nil)
	a := do(t, "GET", base+"/limited", "", nil)
	if a.status != 429 || a.problem.Code != "rate_limited" || a.header.Get("Retry-After") != "7" {
		t.Fatalf("got %d %s Retry-After=%q", a.status, a.body, a.header.Get("Retry-After"))
	}
}

func TestRequestID(t *testing.T) {
	base := startServer(t, nil, nil)
	t.Run("a sane id from the client is kept", func(t *testing.T) {
		a := do(t, "GET", base+"/healthz", "", nil, "X-Request-Id", "abc-123_x.y:z")
		if got := a.header.Get("X-Request-Id"); got != "abc-123_x.y:z" {
			t.Errorf("got %q", got)
		}
	})
	t.Run("an insane id is replaced", func(t *testing.T) {
		a := do(t, "GET", base+"/healthz", "", nil, "X-Request-Id", "<script>"+strings.Repeat("x", 200))
		got := a.header.Get("X-Request-Id")
		if got == "" || strings.Contains(got, "<") {
			t.Errorf("got %q", got)
		}
	})
	t.Run("every answer has one", func(t *testing.T) {
		a := do(t, "GET", base+"/nowhere", "", nil)
		if a.status != 404 || a.problem.Code != "not_found" || a.header.Get("X-Request-Id") == "" {
			t.Errorf("got %d %s", a.status, a.body)
		}
	})
}

func TestBodyRules(t *testing.T) {
	base := startServer(t, nil, nil)
	json := "application/json"
	cases := []struct {
		name        string
		contentType string
		body        []byte
		status      int
		code        string
	}{
		{"valid JSON is accepted", json, []byte(`{"name":"a"}`), 200, ""},
		{"charset utf-8 is accepted", json + "; charset=utf-8", []byte(`{"name":"a"}`), 200, ""},
		{"text/plain is refused", "text/plain", []byte(`{"name":"a"}`), 415, "unsupported_media_type"},
		{"a form is refused", "application/x-www-form-urlencoded", []byte(`a[99999999999]=1`), 415, "unsupported_media_type"},
		{"a missing content type is refused", "", []byte(`{"name":"a"}`), 415, "unsupported_media_type"},
		{"Latin-1 charset is refused", json + "; charset=iso-8859-1", []byte(`{"name":"a"}`), 415, "unsupported_media_type"},
		{"truncated JSON is malformed", json, []byte(`{"name":"a`), 400, "invalid_request"},
		{"form-like text as JSON is malformed", json, []byte(`a[99999999999]=1`), 400, "invalid_request"},
		{"an unknown field is malformed", json, []byte(`{"name":"a","role":"admin"}`), 400, "invalid_request"},
		{"invalid UTF-8 is malformed", json, []byte("{\"name\":\"\xff\xfe\"}"), 400, "invalid_request"},
		{"a NUL escape is refused", json, []byte(`{"name":"a\u0000b"}`), 400, "invalid_request"},
		{"an escaped backslash before u0000 is text", json, []byte(`{"name":"a\\u0000b"}`), 200, ""},
		{"a value out of bounds fails validation", json, []byte(`{"name":"","count":-1}`), 422, "validation_failed"},
		{"a wrong type fails validation", json, []byte(`{"name":5}`), 422, "validation_failed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := do(t, "POST", base+"/things", tc.contentType, tc.body)
			if a.status != tc.status || a.problem.Code != tc.code {
				t.Fatalf("got %d %.300s, want %d %s", a.status, a.body, tc.status, tc.code)
			}
			if tc.status == 422 && len(a.problem.Errors) == 0 {
				t.Errorf("422 without field errors: %s", a.body)
			}
		})
	}
}

func TestOversizedBodyIsRefusedBeforeItIsRead(t *testing.T) {
	base := startServer(t, nil, nil)
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer testkit.Close(t, "the connection", conn)
	// Announce 5 MiB and send only a little: the answer must come anyway.
	if _, err := fmt.Fprintf(conn, "POST /things HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{\"name\":", 5<<20); err != nil {
		t.Fatalf("send the start of the request: %v", err)
	}
	if err := conn.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	defer testkit.Close(t, "the response body", res.Body)
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read the answer: %v", err)
	}
	var p httpx.Problem
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("got %d %s, not a problem: %v", res.StatusCode, b, err)
	}
	if res.StatusCode != 413 || p.Code != "payload_too_large" || p.RequestID == "" {
		t.Fatalf("got %d %s", res.StatusCode, b)
	}
}

func TestSQLLookingTextIsPlainText(t *testing.T) {
	base := startServer(t, nil, nil)
	name := `x'); DROP TABLE users; --`
	body, err := json.Marshal(map[string]string{"name": name})
	if err != nil {
		t.Fatal(err)
	}
	a := do(t, "POST", base+"/things", "application/json", body)
	if a.status != 200 || !strings.Contains(a.body, `DROP TABLE users`) {
		t.Fatalf("got %d %s", a.status, a.body)
	}
}

func TestValidationErrorsNameTheField(t *testing.T) {
	base := startServer(t, nil, nil)
	a := do(t, "POST", base+"/things", "application/json", []byte(`{"name":""}`))
	if len(a.problem.Errors) != 1 || a.problem.Errors[0].Field != "name" {
		t.Fatalf("errors = %+v", a.problem.Errors)
	}
}

// sendBehind writes request on conn in the background, for a server that
// answers while the client still writes, and closes conn when the test
// ends. The server may hang up before it has read the whole request: the
// write then fails with a reset or a broken pipe, or ends with the close.
func sendBehind(t *testing.T, conn net.Conn, request string) {
	t.Helper()
	wrote := make(chan error, 1)
	go func() {
		_, err := io.WriteString(conn, request)
		wrote <- err
	}()
	t.Cleanup(func() {
		testkit.Close(t, "the connection", conn)
		err := <-wrote
		if err != nil && !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) && !errors.Is(err, net.ErrClosed) {
			t.Errorf("write the request: %v", err)
		}
	})
}

func TestHugeHeaderIsRefusedQuickly(t *testing.T) {
	base := startServer(t, nil, nil)
	start := time.Now()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	// The server answers while the client still writes; read concurrently.
	sendBehind(t, conn, fmt.Sprintf("GET /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n", strings.Repeat("a", 1<<20)))
	if err := conn.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	testkit.Close(t, "the response body", res.Body)
	if res.StatusCode != 431 {
		t.Fatalf("got %d, want 431", res.StatusCode)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestSecureHeaders(t *testing.T) {
	base := startServer(t, nil, nil)
	a := do(t, "GET", base+"/healthz", "", nil)
	want := map[string]string{
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
		"Referrer-Policy":        "no-referrer",
		"Cache-Control":          "no-store",
	}
	for k, v := range want {
		if got := a.header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	if !strings.Contains(a.header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("CSP = %q", a.header.Get("Content-Security-Policy"))
	}
}

func TestCORS(t *testing.T) {
	base := startServer(t, []string{"https://app.example.com"}, nil)
	cases := []struct {
		name, origin string
		allowed      bool
	}{
		{"a configured origin is allowed", "https://app.example.com", true},
		{"another origin is not", "https://evil.example.com", false},
		{"the null origin is not", "null", false},
		{"a prefix trick is not", "https://app.example.com.evil.io", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := do(t, "GET", base+"/healthz", "", nil, "Origin", tc.origin)
			got := a.header.Get("Access-Control-Allow-Origin")
			if tc.allowed && got != tc.origin || !tc.allowed && got != "" {
				t.Errorf("Access-Control-Allow-Origin = %q", got)
			}
			if !strings.Contains(a.header.Get("Vary"), "Origin") {
				t.Errorf("Vary = %q", a.header.Get("Vary"))
			}
			pre := do(t, "OPTIONS", base+"/things", "", nil, "Origin", tc.origin, "Access-Control-Request-Method", "POST")
			methods := pre.header.Get("Access-Control-Allow-Methods")
			if pre.status != 204 || tc.allowed != (methods != "") {
				t.Errorf("preflight %d, Allow-Methods %q", pre.status, methods)
			}
		})
	}
}

func TestReadiness(t *testing.T) {
	down := func(context.Context) error { return errors.New("dial tcp: connection refused") }
	up := func(context.Context) error { return nil }
	cases := []struct {
		name   string
		checks []httpx.Check
		status int
		state  string
	}{
		{"all up", []httpx.Check{{Name: "postgres", Critical: true, Probe: up}, {Name: "redis", Probe: nil}}, 200, "ready"},
		{"optional down degrades", []httpx.Check{{Name: "postgres", Critical: true, Probe: up}, {Name: "redis", Probe: down}}, 200, "degraded"},
		{"critical down fails", []httpx.Check{{Name: "postgres", Critical: true, Probe: down}, {Name: "redis", Probe: down}}, 503, "unavailable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base := startServer(t, nil, tc.checks)
			a := do(t, "GET", base+"/readyz", "", nil)
			var r httpx.Readiness
			if err := json.Unmarshal([]byte(a.body), &r); err != nil {
				t.Fatal(err)
			}
			if a.status != tc.status || r.Status != tc.state {
				t.Errorf("got %d %s", a.status, a.body)
			}
			if strings.Contains(a.body, "connection refused") {
				t.Errorf("readiness leaks the error: %s", a.body)
			}
		})
	}
}

func TestOpenAPIAndMetrics(t *testing.T) {
	base := startServer(t, nil, nil)
	a := do(t, "GET", base+"/openapi.json", "", nil)
	if a.status != 200 || !strings.Contains(a.body, `"openapi":"3.1.0"`) || !strings.Contains(a.body, "/readyz") {
		t.Errorf("openapi: %d %.200s", a.status, a.body)
	}
	do(t, "GET", base+"/healthz", "", nil)
	m := do(t, "GET", base+"/metrics", "", nil)
	if m.status != 200 || !strings.Contains(m.body, `chatbot_http_requests_total{method="GET",route="/healthz",status="200"}`) {
		t.Errorf("metrics: %d %.500s", m.status, m.body)
	}
}

func TestDocsPageWorksOffline(t *testing.T) {
	metrics := observability.NewMetrics()
	srv := httpx.New(httpx.Options{Title: "t", Version: "t", BodyLimit: 1 << 20, ReadTimeout: time.Second,
		WriteTimeout: time.Second, IdleTimeout: time.Second, RequestTimeout: time.Second,
		Origins: httpx.NewOrigins(nil), Metrics: metrics, Logger: observability.NewLogger(io.Discard, "error", "text")})
	httpx.RegisterDocs(srv)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	testkit.Serve(t, ln, srv.App.Listener, srv.App.Shutdown)
	base := "http://" + ln.Addr().String()

	page := do(t, "GET", base+"/docs", "", nil)
	if page.status != 200 || !strings.Contains(page.body, "/docs/assets/web-components.min.js") || strings.Contains(page.body, "https://") {
		t.Fatalf("docs page: %d %.300s", page.status, page.body)
	}
	if !strings.Contains(page.header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Errorf("CSP = %q", page.header.Get("Content-Security-Policy"))
	}
	for _, asset := range []string{"web-components.min.js", "styles.min.css"} {
		a := do(t, "GET", base+"/docs/assets/"+asset, "", nil)
		if a.status != 200 || len(a.body) < 10000 {
			t.Errorf("%s: %d, %d bytes", asset, a.status, len(a.body))
		}
	}
}
