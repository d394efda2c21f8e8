package query

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/command/usage"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/projector"
	"github.com/chatbotsaas/chatbot/readmodel"
	"github.com/chatbotsaas/chatbot/shared/auth"
	"github.com/chatbotsaas/chatbot/shared/httpx"
	"github.com/chatbotsaas/chatbot/shared/observability"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// usageWorld is the whole path of usage: a recorder appending to the
// stream, the usage projection, and the report served over HTTP. The
// caller is given by test headers in place of a token.
type usageWorld struct {
	t    *testing.T
	js   jetstream.JetStream
	pool *pgxpool.Pool
	rec  *usage.Recorder
	base string
}

func newUsageWorld(t *testing.T) *usageWorld {
	t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	db := testkit.NewDatabase(t)
	n := testkit.StartNATS(t)
	js, err := jetstream.New(n.Conn)
	if err != nil {
		t.Fatalf("connect JetStream: %v", err)
	}
	ctx := context.Background()
	store, err := eventstore.Open(ctx, js, eventstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	runner := projector.New(projector.Deps{Pool: db.Pool, JS: js, Logger: quiet}, []projector.Projection{projector.Usage()},
		projector.Options{FetchWait: 200 * time.Millisecond})
	if err := runner.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(runner.Stop)

	follower, err := readmodel.Follow(n.Conn, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(follower.Close)
	side := New(Deps{Pool: db.Pool, ReadWait: 5 * time.Second, Progress: projector.NewProgress(db.Pool, js, projector.All()), Follower: follower})
	srv := httpx.New(httpx.Options{Title: "t", Version: "t", BodyLimit: 1 << 20, ReadTimeout: 5 * time.Second,
		WriteTimeout: 5 * time.Second, IdleTimeout: 5 * time.Second, RequestTimeout: 5 * time.Second,
		Origins: httpx.NewOrigins(nil), Metrics: observability.NewMetrics(), Logger: quiet})
	srv.API.UseMiddleware(func(hctx huma.Context, next func(huma.Context)) {
		p := auth.Principal{UserID: uuid.NewString(), Role: hctx.Header("X-Test-Role"), CompanyID: hctx.Header("X-Test-Company")}
		next(huma.WithContext(hctx, auth.WithPrincipal(hctx.Context(), p)))
	})
	side.registerUsage(srv.API)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	testkit.Serve(t, ln, srv.App.Listener, srv.App.Shutdown)
	return &usageWorld{t: t, js: js, pool: db.Pool, rec: usage.New(store, usage.Options{Logger: quiet}), base: "http://" + ln.Addr().String()}
}

// calls records n calls of the key in the hour starting at hour.
func (w *usageWorld) calls(company, chatbot, key string, hour time.Time, n int, units int64) {
	for i := range n {
		w.rec.Record(company, chatbot, key, units, hour.Add(time.Duration(i)*time.Minute))
	}
}

// flush stores what was recorded and returns the stream's last position.
func (w *usageWorld) flush() uint64 {
	w.t.Helper()
	if err := w.rec.Flush(context.Background()); err != nil {
		w.t.Fatal(err)
	}
	stream, err := w.js.Stream(context.Background(), events.StreamName)
	if err != nil {
		w.t.Fatal(err)
	}
	info, err := stream.Info(context.Background())
	if err != nil {
		w.t.Fatal(err)
	}
	return info.State.LastSeq
}

type usageReport struct {
	Series []UsagePoint `json:"series"`
	Totals UsageTotals  `json:"totals"`
	Code   string       `json:"code"`
}

// report asks for company's usage as the caller (role, own company),
// waiting for position min.
func (w *usageWorld) report(role, own, company string, min uint64, q url.Values) (int, usageReport) {
	w.t.Helper()
	req, err := http.NewRequest("GET", w.base+"/v1/companies/"+company+"/usage?"+q.Encode(), nil)
	if err != nil {
		w.t.Fatalf("build the request: %v", err)
	}
	req.Header.Set("X-Test-Role", role)
	req.Header.Set("X-Test-Company", own)
	if min > 0 {
		req.Header.Set("X-Min-Position", strconv.FormatUint(min, 10))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer testkit.Close(w.t, "the response body", resp.Body)
	var out usageReport
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		w.t.Fatalf("decode: %v", err)
	}
	return resp.StatusCode, out
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func point(period string, requests, units int64) UsagePoint {
	return UsagePoint{PeriodStart: at(period), Requests: requests, Units: units}
}

func sameSeries(got, want []UsagePoint) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if !got[i].PeriodStart.Equal(want[i].PeriodStart) || got[i].Requests != want[i].Requests || got[i].Units != want[i].Units {
			return false
		}
	}
	return true
}

// Calls recorded, flushed, projected and reported by hour, day and month,
// for the company, one chatbot and one key; another company's calls never
// show; roles see their own company and admins any.
func TestUsageReport(t *testing.T) {
	w := newUsageWorld(t)
	a, b := uuid.NewString(), uuid.NewString()
	bot1, bot2, botB := uuid.NewString(), uuid.NewString(), uuid.NewString()
	k1, k2, k3, kB := uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()

	w.calls(a, bot1, k1, at("2025-01-31T22:00:00Z"), 3, 1)
	w.calls(a, bot1, k2, at("2025-01-31T23:00:00Z"), 2, 5)
	w.calls(a, bot1, k1, at("2025-02-01T00:00:00Z"), 1, 2)
	w.flush()
	// The same hour again in a later flush: its events add up.
	w.calls(a, bot1, k1, at("2025-02-01T00:00:00Z"), 3, 2)
	w.calls(a, bot2, k3, at("2025-02-01T00:00:00Z"), 1, 10)
	w.calls(a, bot2, k3, at("2025-02-02T13:00:00Z"), 5, 0)
	w.calls(b, botB, kB, at("2025-02-01T00:00:00Z"), 100, 1)
	last := w.flush()

	span := url.Values{"from": {"2025-01-31T00:00:00Z"}, "to": {"2025-03-01T00:00:00Z"}}
	with := func(kv ...string) url.Values {
		q := url.Values{}
		for k, v := range span {
			q[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			q.Set(kv[i], kv[i+1])
		}
		return q
	}
	cases := []struct {
		name   string
		q      url.Values
		series []UsagePoint
	}{
		{"by hour", with("granularity", "hour"), []UsagePoint{point("2025-01-31T22:00:00Z", 3, 3),
			point("2025-01-31T23:00:00Z", 2, 10), point("2025-02-01T00:00:00Z", 5, 18), point("2025-02-02T13:00:00Z", 5, 0)}},
		{"by day (the default)", with(), []UsagePoint{point("2025-01-31T00:00:00Z", 5, 13),
			point("2025-02-01T00:00:00Z", 5, 18), point("2025-02-02T00:00:00Z", 5, 0)}},
		{"by month", with("granularity", "month"), []UsagePoint{point("2025-01-01T00:00:00Z", 5, 13),
			point("2025-02-01T00:00:00Z", 10, 18)}},
		{"one chatbot", with("chatbot_id", bot1), []UsagePoint{point("2025-01-31T00:00:00Z", 5, 13),
			point("2025-02-01T00:00:00Z", 4, 8)}},
		{"one key", with("granularity", "month", "api_key_id", k3), []UsagePoint{point("2025-02-01T00:00:00Z", 6, 10)}},
		{"a chatbot and a key of another", with("chatbot_id", bot2, "api_key_id", k1), []UsagePoint{}},
		{"one hour", url.Values{"from": {"2025-02-01T00:00:00Z"}, "to": {"2025-02-01T01:00:00Z"}, "granularity": {"hour"}},
			[]UsagePoint{point("2025-02-01T00:00:00Z", 5, 18)}},
	}
	for i, c := range cases {
		min := uint64(0)
		if i == 0 {
			min = last // the first read waits for the projection
		}
		status, r := w.report(auth.RoleUser, a, a, min, c.q)
		if status != 200 || !sameSeries(r.Series, c.series) {
			t.Errorf("%s: %d %+v; want %+v", c.name, status, r.Series, c.series)
			continue
		}
		var req, units int64
		for _, p := range c.series {
			req, units = req+p.Requests, units+p.Units
		}
		if r.Totals != (UsageTotals{Requests: req, Units: units}) || r.Series == nil {
			t.Errorf("%s: totals %+v, want %d requests and %d units", c.name, r.Totals, req, units)
		}
	}

	// Roles: their own company only, another's is not found; admins any.
	if status, r := w.report(auth.RoleCompany, a, a, 0, with()); status != 200 || r.Totals.Requests != 15 {
		t.Errorf("company role on its company: %d %+v", status, r.Totals)
	}
	for _, role := range []string{auth.RoleUser, auth.RoleCompany} {
		if status, r := w.report(role, a, b, 0, with()); status != 404 || r.Code != "not_found" {
			t.Errorf("%s on another company: %d %q; want 404 not_found", role, status, r.Code)
		}
	}
	if status, r := w.report(auth.RoleAdmin, "", b, 0, with()); status != 200 || r.Totals != (UsageTotals{Requests: 100, Units: 100}) {
		t.Errorf("admin on company b: %d %+v; want 100 requests", status, r.Totals)
	}
}

// Without from and to the report covers the last 30 days.
func TestUsageReportDefaultsToTheLast30Days(t *testing.T) {
	w := newUsageWorld(t)
	a, bot, key := uuid.NewString(), uuid.NewString(), uuid.NewString()
	now := time.Now().UTC()
	w.rec.Record(a, bot, key, 1, now)
	w.rec.Record(a, bot, key, 1, now.Add(-40*24*time.Hour))
	last := w.flush()
	status, r := w.report(auth.RoleCompany, a, a, last, url.Values{})
	today := now.Truncate(24 * time.Hour)
	if status != 200 || !sameSeries(r.Series, []UsagePoint{{PeriodStart: today, Requests: 1, Units: 1}}) {
		t.Fatalf("default range: %d %+v; want today's call only", status, r.Series)
	}
}

// Invalid parameters answer 422 validation_failed before anything is read.
func TestUsageReportRefusesInvalidParameters(t *testing.T) {
	w := newUsageWorld(t)
	a := uuid.NewString()
	for name, q := range map[string]url.Values{
		"unknown granularity": {"granularity": {"week"}},
		"from equal to to":    {"from": {"2025-01-01T00:00:00Z"}, "to": {"2025-01-01T00:00:00Z"}},
		"from after to":       {"from": {"2025-02-01T00:00:00Z"}, "to": {"2025-01-01T00:00:00Z"}},
		"from not RFC 3339":   {"from": {"yesterday"}},
		"too long by hour":    {"from": {"2025-01-01T00:00:00Z"}, "to": {"2025-02-02T00:00:00Z"}, "granularity": {"hour"}},
		"too long by day":     {"from": {"2024-01-01T00:00:00Z"}, "to": {"2025-01-02T00:00:00Z"}},
		"chatbot id not UUID": {"chatbot_id": {"bot-1"}},
		"api key id not UUID": {"api_key_id": {"k"}},
	} {
		if status, r := w.report(auth.RoleCompany, a, a, 0, q); status != 422 || r.Code != "validation_failed" {
			t.Errorf("%s: %d %q; want 422 validation_failed", name, status, r.Code)
		}
	}
	// A year by day and five years by month are fine.
	for _, q := range []url.Values{
		{"from": {"2024-01-01T00:00:00Z"}, "to": {"2025-01-01T00:00:00Z"}},
		{"from": {"2020-01-01T00:00:00Z"}, "to": {"2025-01-01T00:00:00Z"}, "granularity": {"month"}},
	} {
		if status, r := w.report(auth.RoleCompany, a, a, 0, q); status != 200 || len(r.Series) != 0 {
			t.Errorf("%v: %d %+v; want 200 and no usage", q, status, r)
		}
	}
	if status, _ := w.report(auth.RoleCompany, a, "not-a-uuid", 0, url.Values{}); status != 422 {
		t.Errorf("company id not a UUID: %d, want 422", status)
	}
}
