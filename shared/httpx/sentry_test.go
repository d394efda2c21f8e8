package httpx_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"

	"github.com/chatbotsaas/chatbot/shared/observability"
)

// fakeSentry records the envelopes the SDK sends.
type fakeSentry struct {
	t      *testing.T // the server answers until the test ends
	mu     sync.Mutex
	bodies []string
}

func (f *fakeSentry) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		f.t.Errorf("read an envelope: %v", err)
	}
	f.mu.Lock()
	f.bodies = append(f.bodies, string(b))
	f.mu.Unlock()
	w.WriteHeader(200)
}

func (f *fakeSentry) all() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Join(f.bodies, "\n")
}

func TestServerErrorsAreReportedWithoutSecrets(t *testing.T) {
	fake := &fakeSentry{t: t}
	ts := httptest.NewServer(fake)
	defer ts.Close()
	dsn := strings.Replace(ts.URL, "http://", "http://publickey@", 1) + "/42"
	flush, err := observability.InitSentry(dsn, "test", "test")
	if err != nil {
		t.Fatal(err)
	}
	defer sentry.CurrentHub().BindClient(nil)

	base := startServer(t, nil, nil)
	a := do(t, "GET", base+"/fail?token=query-secret", "", nil,
		"Authorization", "Bearer secret-access-token", "Cookie", "session=secret-cookie", "X-Api-Key", "cbk_secretkey")
	if a.status != 500 {
		t.Fatalf("got %d", a.status)
	}
	do(t, "GET", base+"/boom", "", nil, "Authorization", "Bearer secret-access-token")
	flush()

	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(fake.all(), a.problem.RequestID) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	got := fake.all()
	if !strings.Contains(got, a.problem.RequestID) {
		t.Fatalf("no report tagged with request id %s; got %.500s", a.problem.RequestID, got)
	}
	if !strings.Contains(got, "panic") {
		t.Errorf("the panic was not reported")
	}
	for _, secret := range []string{"secret-access-token", "secret-cookie", "cbk_secretkey", "query-secret"} {
		if strings.Contains(got, secret) {
			t.Errorf("report carries %q", secret)
		}
	}
}
