package query_test

import (
	"context"
	"crypto/ed25519"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/projector"
	"github.com/chatbotsaas/chatbot/query"
	"github.com/chatbotsaas/chatbot/readmodel"
	"github.com/chatbotsaas/chatbot/readmodel/cache"
	"github.com/chatbotsaas/chatbot/shared/auth"
	"github.com/chatbotsaas/chatbot/shared/httpx"
	"github.com/chatbotsaas/chatbot/shared/observability"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// cacheWorld is the read side with its cache on a real Redis, fed by real
// projectors from real events: what `serve` runs, without the command side.
type cacheWorld struct {
	t      *testing.T
	db     *testkit.Database
	store  *eventstore.Store
	cache  *cache.Cache
	reg    *prometheus.Registry
	reader query.Reader
	runner *projector.Runner
	tokens *auth.Tokens
	base   string // the HTTP server's URL
}

func newCacheWorld(t *testing.T, redisURL string) *cacheWorld {
	t.Helper()
	ctx := context.Background()
	w := &cacheWorld{t: t, db: testkit.NewDatabase(t), reg: prometheus.NewRegistry()}
	n := testkit.StartNATS(t)
	js, err := jetstream.New(n.Conn)
	if err != nil {
		t.Fatal(err)
	}
	if w.store, err = eventstore.Open(ctx, js, eventstore.Options{}); err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	rs, err := cache.NewRueidisStore(redisURL, time.Second, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	w.cache = cache.New(rs, cache.Options{Timeout: 50 * time.Millisecond, Pause: 200 * time.Millisecond, Logger: quiet}, w.reg)
	t.Cleanup(w.cache.Close)
	kctx, stopKeep := context.WithCancel(ctx)
	t.Cleanup(stopKeep)
	go w.cache.Keep(kctx)
	w.runner = projector.New(projector.Deps{Pool: w.db.Pool, JS: js, Logger: quiet, Invalidate: w.cache.Invalidate},
		[]projector.Projection{projector.Companies(), projector.Chatbots(), projector.APIKeys(), projector.Users(), projector.Usage()},
		projector.Options{FetchWait: 100 * time.Millisecond})
	if err := w.runner.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.runner.Stop)
	follower, err := readmodel.Follow(n.Conn, quiet)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(follower.Close)
	side := query.New(query.Deps{Pool: w.db.Pool, Cache: w.cache, Follower: follower, ReadWait: 5 * time.Second, Logger: quiet})
	w.reader = query.NewCachedReader(query.NewPGReader(w.db.Pool, follower, 5*time.Second, nil), w.cache, nil)
	w.serve(side, quiet)
	return w
}

// serve mounts side behind the guard, as `serve` does.
func (w *cacheWorld) serve(side *query.Side, log *slog.Logger) {
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		w.t.Fatal(err)
	}
	w.tokens = auth.NewTokens(auth.NewKeySet(priv), "t", "t", time.Now)
	guard := auth.NewGuard(w.tokens, auth.NewRevocations(func() time.Duration { return time.Hour }, time.Now), nil)
	srv := httpx.New(httpx.Options{Title: "t", Version: "t", BodyLimit: 1 << 20, ReadTimeout: 5 * time.Second,
		WriteTimeout: 5 * time.Second, IdleTimeout: 5 * time.Second, RequestTimeout: 5 * time.Second,
		Origins: httpx.NewOrigins(nil), Metrics: observability.NewMetrics(), Logger: log})
	srv.API.UseMiddleware(guard.Middleware(srv.API))
	side.Register(srv.API)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		w.t.Fatal(err)
	}
	testkit.Serve(w.t, ln, srv.App.Listener, srv.App.Shutdown)
	w.base = "http://" + ln.Addr().String()
}

// append writes one event of aggregate ref after version events, and
// answers its stream position.
func (w *cacheWorld) append(ref eventstore.Ref, after eventstore.Loaded, typ string, data any) eventstore.Loaded {
	w.t.Helper()
	res, err := w.store.Append(context.Background(), ref, after, events.Event{Type: typ, Data: data})
	if err != nil {
		w.t.Fatal(err)
	}
	return eventstore.Loaded{Seq: res.Position, Version: after.Version + 1}
}

// company registers a company with one chatbot and answers their refs and
// the chatbot's last write.
func (w *cacheWorld) company(name string) (string, eventstore.Ref, eventstore.Loaded) {
	cid := uuid.NewString()
	w.append(eventstore.Ref{Tenant: cid, Type: events.AggregateCompany, ID: cid}, eventstore.Loaded{},
		events.CompanyRegistered, events.CompanyRegisteredData{Name: name})
	bot := eventstore.Ref{Tenant: cid, Type: events.AggregateChatbot, ID: uuid.NewString()}
	last := w.append(bot, eventstore.Loaded{}, events.ChatbotCreated, events.ChatbotCreatedData{Name: name + " bot"})
	return cid, bot, last
}

// rename renames the chatbot and answers the write.
func (w *cacheWorld) rename(bot eventstore.Ref, after eventstore.Loaded, name string) eventstore.Loaded {
	return w.append(bot, after, events.ChatbotUpdated, events.ChatbotUpdatedData{Name: &name})
}

// reads is how many cached reads had result so far.
func (w *cacheWorld) reads(result string) int {
	w.t.Helper()
	mfs, err := w.reg.Gather()
	if err != nil {
		w.t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "chatbot_query_cache_reads_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" && l.GetValue() == result {
					return int(m.GetCounter().GetValue())
				}
			}
		}
	}
	return 0
}

// get sends a GET as a manager of company with the given headers.
func (w *cacheWorld) get(company, path string, headers ...string) *http.Response {
	w.t.Helper()
	tok, err := w.tokens.Issue(auth.Principal{UserID: uuid.NewString(), SessionID: uuid.NewString(), Role: auth.RoleCompany, CompanyID: company}, time.Hour)
	if err != nil {
		w.t.Fatal(err)
	}
	req, err := http.NewRequest("GET", w.base+path, nil)
	if err != nil {
		w.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { testkit.Close(w.t, "the response body", res.Body) })
	return res
}

// body reads a response's body.
func body(t *testing.T, res *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}
