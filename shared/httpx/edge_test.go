package httpx_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/chatbotsaas/chatbot/shared/httpx"
	"github.com/chatbotsaas/chatbot/shared/observability"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// edgeInput has what request bodies have: strings, numbers, an optional
// nested object and a list of objects.
type edgeInput struct {
	Body struct {
		Message  string  `json:"message" maxLength:"100"`
		Count    int     `json:"count,omitempty"`
		Ratio    float64 `json:"ratio,omitempty"`
		Settings *struct {
			Greeting string `json:"greeting,omitempty"`
			Replies  []struct {
				Keywords []string `json:"keywords"`
				Reply    string   `json:"reply"`
			} `json:"replies,omitempty"`
		} `json:"settings,omitempty"`
	}
}

type edgeOutput struct {
	Body struct {
		Message string `json:"message"`
	}
}

// newEdgeServer is a server with one POST and one PATCH over edgeInput.
func newEdgeServer(bodyLimit int) *httpx.Server {
	metrics := observability.NewMetrics()
	srv := httpx.New(httpx.Options{
		Title: "test", Version: "test", BodyLimit: bodyLimit,
		ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second, IdleTimeout: 5 * time.Second,
		RequestTimeout: 5 * time.Second, Origins: httpx.NewOrigins(nil), Metrics: metrics,
		Logger: observability.NewLogger(io.Discard, "error", "text"),
	})
	httpx.RegisterOps(srv, nil, metrics.Registry)
	handle := func(_ context.Context, in *edgeInput) (*edgeOutput, error) {
		out := &edgeOutput{}
		out.Body.Message = in.Body.Message
		return out, nil
	}
	huma.Post(srv.API, "/edge", handle)
	huma.Get(srv.API, "/edge", func(context.Context, *struct {
		From  time.Time `query:"from"`
		Limit int       `query:"limit"`
	}) (*struct{}, error) {
		return nil, nil
	})
	huma.Patch(srv.API, "/edge/{id}", func(ctx context.Context, in *struct {
		ID string `path:"id"`
		edgeInput
	}) (*edgeOutput, error) {
		return handle(ctx, &in.edgeInput)
	})
	return srv
}

func serveEdge(t *testing.T, bodyLimit int) string {
	t.Helper()
	srv := newEdgeServer(bodyLimit)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	testkit.Serve(t, ln, srv.App.Listener, srv.App.Shutdown)
	return "http://" + ln.Addr().String()
}

func TestJSONKeysMatchExactly(t *testing.T) {
	base := serveEdge(t, 1<<20)
	cases := []struct {
		name string
		body string
		want int
	}{
		{"exact keys pass", `{"message":"hi","settings":{"greeting":"hello"}}`, 200},
		{"a key in another case beside the right one", `{"message":"hi","MESSAGE":"x"}`, 400},
		{"a key in another case alone", `{"Message":"hi"}`, 400},
		{"a key given twice", `{"message":"hi","message":"x"}`, 400},
		{"a key given twice, once escaped", `{"message":"hi","mess\u0061ge":"x"}`, 400},
		{"a nested key in another case", `{"message":"hi","settings":{"greeting":"a","GREETING":"b"}}`, 400},
		{"a nested key given twice", `{"message":"hi","settings":{"greeting":"a","greeting":"b"}}`, 400},
		{"a key given twice inside a list", `{"message":"hi","settings":{"replies":[{"keywords":["a"],"reply":"r","reply":"s"}]}}`, 400},
		{"the same key in sibling objects is fine", `{"message":"hi","settings":{"replies":[{"keywords":["a"],"reply":"r"},{"keywords":["b"],"reply":"s"}]}}`, 200},
	}
	for _, tc := range cases {
		for _, route := range []struct{ method, path string }{{"POST", "/edge"}, {"PATCH", "/edge/1"}} {
			t.Run(tc.name+" ("+route.method+")", func(t *testing.T) {
				a := do(t, route.method, base+route.path, "application/json", []byte(tc.body))
				if a.status != tc.want || (tc.want == 400 && a.problem.Code != "invalid_request") {
					t.Fatalf("got %d %s, want %d", a.status, a.body, tc.want)
				}
			})
		}
	}
}

func TestDecoderErrorsAreSentences(t *testing.T) {
	base := serveEdge(t, 1<<20)
	for _, body := range []string{
		`{"message":"hi","ratio":1e400}`,
		`{"message":"hi","count":1e30}`,
		`{"message":"hi","count":1.5}`,
		`{"message":"hi","settings":{"replies":[{"keywords":"a","reply":"r"}]}}`,
		`{"message":"hi"`,
		`{"message":"hi"}}`,
		`[` + strings.Repeat(`[`, 100) + strings.Repeat(`]`, 101),
	} {
		a := do(t, "POST", base+"/edge", "application/json", []byte(body))
		if a.status < 400 || a.status >= 500 {
			t.Errorf("%s: got %d %s, want a 4xx", body, a.status, a.body)
		}
		if leak := internals(a.body); leak != "" {
			t.Errorf("%s: the answer shows %q: %s", body, leak, a.body)
		}
	}
	for _, query := range []string{"from=yesterday", "limit=1e400", "limit=x"} {
		a := do(t, "GET", base+"/edge?"+query, "", nil)
		if a.status < 400 || a.status >= 500 {
			t.Errorf("%s: got %d %s, want a 4xx", query, a.status, a.body)
		}
		if leak := internals(a.body); leak != "" || strings.Contains(a.body, "2006-01-02") {
			t.Errorf("%s: the answer shows internals: %s", query, a.body)
		}
	}
}

// Every answer carries the security headers, those the server makes
// before any middleware runs included.
func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	base := serveEdge(t, 1<<10)
	raw := func(request string) *http.Response {
		t.Helper()
		conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		sendBehind(t, conn, request)
		if err := conn.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
			t.Fatal(err)
		}
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("no answer: %v", err)
		}
		testkit.Close(t, "the response body", res.Body)
		return res
	}
	answers := map[string]func() (int, http.Header){
		"413": func() (int, http.Header) {
			r := raw(fmt.Sprintf("POST /edge HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", 5<<20))
			return r.StatusCode, r.Header
		},
		"431": func() (int, http.Header) {
			r := raw(fmt.Sprintf("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\n\r\n", strings.Repeat("a", 64<<10)))
			return r.StatusCode, r.Header
		},
		"404": func() (int, http.Header) { a := do(t, "GET", base+"/nowhere", "", nil); return a.status, a.header },
		"405": func() (int, http.Header) { a := do(t, "PUT", base+"/edge", "", nil); return a.status, a.header },
		"400": func() (int, http.Header) {
			a := do(t, "POST", base+"/edge", "application/json", []byte(`{"message":"a","message":"b"}`))
			return a.status, a.header
		},
	}
	for want, get := range answers {
		t.Run(want, func(t *testing.T) {
			status, h := get()
			if fmt.Sprint(status) != want {
				t.Fatalf("status %d, want %s", status, want)
			}
			for _, k := range []string{"X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Content-Security-Policy", "Strict-Transport-Security", "Cache-Control"} {
				if h.Get(k) == "" {
					t.Errorf("%s has no %s: %v", want, k, h)
				}
			}
		})
	}
}
