package httpx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/httpx"
	"github.com/chatbotsaas/chatbot/shared/observability"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// logLines is a log sink a server writes to from its own goroutines.
type logLines struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// lines are the JSON log records written so far.
func (l *logLines) lines(t *testing.T) []map[string]any {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		out = append(out, m)
	}
	return out
}

// accessServer serves /ok, /gone (404), /fail (500) and /slow, logging
// at logLevel as an operator would run it.
func accessServer(t *testing.T, access httpx.AccessLog, logLevel string) (string, *logLines) {
	t.Helper()
	sink := &logLines{}
	log := observability.NewLogger(sink, logLevel, "json")
	// Causes of 5xx outside the access line would go to the default logger.
	prev := slog.Default()
	slog.SetDefault(log)
	t.Cleanup(func() { slog.SetDefault(prev) })
	srv := httpx.New(httpx.Options{
		Title: "test", Version: "test", BodyLimit: 1 << 20,
		ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second, IdleTimeout: 5 * time.Second,
		RequestTimeout: 5 * time.Second, Origins: httpx.NewOrigins(nil), Metrics: observability.NewMetrics(),
		Logger: log, AccessLog: access,
	})
	huma.Get(srv.API, "/ok", func(context.Context, *struct{}) (*struct{}, error) { return nil, nil })
	huma.Get(srv.API, "/gone", func(context.Context, *struct{}) (*struct{}, error) {
		return nil, apperr.NotFound("thing")
	})
	huma.Get(srv.API, "/fail", func(context.Context, *struct{}) (*struct{}, error) {
		return nil, errors.New("database on fire")
	})
	huma.Get(srv.API, "/panic", func(context.Context, *struct{}) (*struct{}, error) {
		panic("out of cheese")
	})
	huma.Get(srv.API, "/slow", func(context.Context, *struct{}) (*struct{}, error) {
		time.Sleep(3 * access.Slow)
		return nil, nil
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	testkit.Serve(t, ln, srv.App.Listener, srv.App.Shutdown)
	return "http://" + ln.Addr().String(), sink
}

func TestAccessLogLevels(t *testing.T) {
	cases := []struct {
		name     string
		setting  string
		logLevel string
		path     string
		want     string // level of the one line, "" for none
	}{
		{"a success at debug stays out of an info log", "debug", "info", "/ok", ""},
		{"a success at debug shows in a debug log", "debug", "debug", "/ok", "DEBUG"},
		{"a success at info shows in an info log", "info", "info", "/ok", "INFO"},
		{"no setting logs successes at info", "", "info", "/ok", "INFO"},
		{"a success with the log off writes nothing", "off", "debug", "/ok", ""},
		{"a 4xx is logged even with the log off", "off", "info", "/gone", "INFO"},
		{"a 4xx is logged with successes at debug", "debug", "info", "/gone", "INFO"},
		{"a 5xx is logged at error with the log off", "off", "info", "/fail", "ERROR"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base, sink := accessServer(t, httpx.AccessLog{Success: c.setting, Slow: time.Minute}, c.logLevel)
			do(t, "GET", base+c.path, "", nil)
			lines := sink.lines(t)
			if c.want == "" {
				if len(lines) != 0 {
					t.Fatalf("got %d lines, want none: %v", len(lines), lines)
				}
				return
			}
			if len(lines) != 1 {
				t.Fatalf("got %d lines, want one: %v", len(lines), lines)
			}
			if got := lines[0]["level"]; got != c.want {
				t.Fatalf("got level %v, want %s", got, c.want)
			}
			if lines[0]["path"] != c.path || lines[0]["status"] == nil {
				t.Fatalf("the line lacks the request: %v", lines[0])
			}
		})
	}
}

func TestA5xxIsLoggedOnceWithItsCause(t *testing.T) {
	base, sink := accessServer(t, httpx.AccessLog{Success: "info"}, "info")
	if a := do(t, "GET", base+"/fail", "", nil); a.status != 500 {
		t.Fatalf("status %d, want 500", a.status)
	}
	lines := sink.lines(t)
	if len(lines) != 1 {
		t.Fatalf("got %d lines, want one: %v", len(lines), lines)
	}
	if lines[0]["level"] != "ERROR" || !strings.Contains(lines[0]["err"].(string), "database on fire") ||
		lines[0]["request_id"] == nil {
		t.Fatalf("the 5xx line lacks its level, cause or request id: %v", lines[0])
	}
}

func TestAPanicIsLoggedOnceWithItsStack(t *testing.T) {
	base, sink := accessServer(t, httpx.AccessLog{Success: "info"}, "info")
	if a := do(t, "GET", base+"/panic", "", nil); a.status != 500 {
		t.Fatalf("status %d, want 500", a.status)
	}
	lines := sink.lines(t)
	if len(lines) != 1 {
		t.Fatalf("got %d lines, want one: %v", len(lines), lines)
	}
	if lines[0]["level"] != "ERROR" || !strings.Contains(lines[0]["err"].(string), "out of cheese") ||
		!strings.Contains(lines[0]["stack"].(string), "goroutine") {
		t.Fatalf("the panic's line lacks its cause or stack: %v", lines[0])
	}
}

func TestASlowRequestIsLoggedAtWarn(t *testing.T) {
	base, sink := accessServer(t, httpx.AccessLog{Success: "off", Slow: 50 * time.Millisecond}, "info")
	do(t, "GET", base+"/slow", "", nil)
	lines := sink.lines(t)
	if len(lines) != 1 {
		t.Fatalf("got %d lines, want one: %v", len(lines), lines)
	}
	if lines[0]["level"] != "WARN" || lines[0]["slow"] != true {
		t.Fatalf("the slow request's line: %v", lines[0])
	}
}
