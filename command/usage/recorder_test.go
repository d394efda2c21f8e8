package usage_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/command/usage"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/natsx"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func openStore(t *testing.T, js jetstream.JetStream) *eventstore.Store {
	t.Helper()
	s, err := eventstore.Open(context.Background(), js, eventstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// recorded is one stored UsageRecorded with its envelope.
type recorded struct {
	env  events.Envelope
	data events.UsageRecordedData
}

// usageEvents reads every UsageRecorded of the stream, oldest first.
func usageEvents(t *testing.T, js jetstream.JetStream) []recorded {
	t.Helper()
	ctx := context.Background()
	stream, err := js.Stream(ctx, events.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []recorded
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		raw, err := stream.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		env, err := events.Unmarshal(raw.Data, seq)
		if err != nil {
			t.Fatal(err)
		}
		if env.Type != events.UsageRecorded {
			continue
		}
		var d events.UsageRecordedData
		if err := json.Unmarshal(env.Data, &d); err != nil {
			t.Fatal(err)
		}
		out = append(out, recorded{env: env, data: d})
	}
	return out
}

func sum(rs []recorded) (requests, units int64) {
	for _, r := range rs {
		requests += r.data.Requests
		units += r.data.Units
	}
	return requests, units
}

// 1,000 calls of two keys over two hours become one event per key and
// hour, holding every call.
func TestThousandCallsAcrossTwoKeysAndTwoHoursAreAHandfulOfEvents(t *testing.T) {
	n := testkit.StartNATS(t)
	js, err := jetstream.New(n.Conn)
	if err != nil {
		t.Fatalf("connect JetStream: %v", err)
	}
	rec := usage.New(openStore(t, js), usage.Options{Logger: quiet})
	company, bot := uuid.NewString(), uuid.NewString()
	keys := []string{uuid.NewString(), uuid.NewString()}
	base := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	var wantUnits int64
	for i := range 1000 {
		at := base.Add(time.Duration(i%2)*time.Hour + time.Duration(i)*time.Second)
		units := int64(i % 3)
		wantUnits += units
		rec.Record(company, bot, keys[(i/2)%2], units, at)
	}
	if got := rec.Unflushed(); got != 1000 {
		t.Fatalf("unflushed %d before the flush, want 1000", got)
	}
	if err := rec.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	evs := usageEvents(t, js)
	if len(evs) != 4 {
		t.Fatalf("%d UsageRecorded events, want 4 (2 keys × 2 hours)", len(evs))
	}
	if req, units := sum(evs); req != 1000 || units != wantUnits {
		t.Fatalf("events sum to %d requests and %d units, want 1000 and %d", req, units, wantUnits)
	}
	for _, e := range evs {
		d := e.data
		if e.env.TenantID != company || e.env.AggregateType != events.AggregateUsage || e.env.AggregateID != d.APIKeyID ||
			e.env.AggregateVersion != 0 || e.env.Actor != (events.Actor{Type: events.ActorAPIKey, ID: d.APIKeyID}) {
			t.Errorf("envelope %+v", e.env)
		}
		if d.ChatbotID != bot || d.Requests != 250 || !d.Hour.Equal(d.Hour.Truncate(time.Hour)) ||
			d.LastUsedAt.Before(d.Hour) || d.LastUsedAt.Sub(d.Hour) >= time.Hour {
			t.Errorf("event %+v", d)
		}
	}
	// The latest call of the first key in the second hour: i = 999 is key 1;
	// the last odd i of key 0 is 997.
	for _, e := range evs {
		if e.data.APIKeyID == keys[0] && e.data.Hour.Equal(base.Add(time.Hour)) &&
			!e.data.LastUsedAt.Equal(base.Add(time.Hour+997*time.Second)) {
			t.Errorf("last_used_at %v, want %v", e.data.LastUsedAt, base.Add(time.Hour+997*time.Second))
		}
	}
	if got := rec.Unflushed(); got != 0 {
		t.Fatalf("unflushed %d after the flush, want 0", got)
	}
	// Nothing new: nothing sent.
	if err := rec.Flush(context.Background()); err != nil || len(usageEvents(t, js)) != 4 {
		t.Fatalf("an idle flush: %v, %d events", err, len(usageEvents(t, js)))
	}
}

// A flush that cannot finish keeps its counts; the next one stores them.
func TestAFlushWithACancelledContextKeepsItsCounts(t *testing.T) {
	n := testkit.StartNATS(t)
	js, err := jetstream.New(n.Conn)
	if err != nil {
		t.Fatalf("connect JetStream: %v", err)
	}
	rec := usage.New(openStore(t, js), usage.Options{Logger: quiet})
	company, bot, key := uuid.NewString(), uuid.NewString(), uuid.NewString()
	for range 10 {
		rec.Record(company, bot, key, 1, time.Now())
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := rec.Flush(ctx); err == nil {
		t.Fatal("a flush with a cancelled context succeeded")
	}
	if got := len(usageEvents(t, js)); got != 0 || rec.Unflushed() != 10 {
		t.Fatalf("after the failed flush: %d events, %d unflushed; want 0 and 10", got, rec.Unflushed())
	}
	rec.Record(company, bot, key, 1, time.Now()) // counted meanwhile
	if err := rec.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if req, units := sum(usageEvents(t, js)); req != 11 || units != 11 || rec.Unflushed() != 0 {
		t.Fatalf("after the retry: %d requests, %d units, %d unflushed; want 11, 11, 0", req, units, rec.Unflushed())
	}
}

// While NATS is down, flushes fail and keep everything; once it is back,
// one flush stores it all.
func TestAFlushWhileNATSIsDownKeepsItsCountsForTheNextFlush(t *testing.T) {
	dir := t.TempDir()
	emb, err := natsx.StartEmbedded(natsx.EmbeddedOptions{Listen: "127.0.0.1:0", StoreDir: dir, SyncInterval: "always"})
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(emb.ClientURL())
	if err != nil {
		t.Fatalf("parse the client URL: %v", err)
	}
	users := emb.Users()
	nc, err := nats.Connect(emb.ClientURL(), nats.UserInfo(users.Service.User, users.Service.Password),
		nats.ReconnectWait(20*time.Millisecond), nats.MaxReconnects(-1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("connect JetStream: %v", err)
	}
	rec := usage.New(openStore(t, js), usage.Options{Logger: quiet, FlushTimeout: 300 * time.Millisecond})
	company, bot, key := uuid.NewString(), uuid.NewString(), uuid.NewString()
	for range 100 {
		rec.Record(company, bot, key, 2, time.Now())
	}

	emb.Shutdown()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	err = rec.Flush(ctx)
	cancel()
	if err == nil {
		t.Fatal("a flush with NATS down succeeded")
	}
	for range 50 {
		rec.Record(company, bot, key, 2, time.Now())
	}
	if got := rec.Unflushed(); got != 150 {
		t.Fatalf("unflushed %d with NATS down, want 150", got)
	}

	emb, err = natsx.StartEmbedded(natsx.EmbeddedOptions{Listen: u.Host, StoreDir: dir, SyncInterval: "always", Users: &users})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emb.Shutdown)
	deadline := time.Now().Add(10 * time.Second)
	for rec.Flush(context.Background()) != nil {
		if time.Now().After(deadline) {
			t.Fatal("no flush succeeded within 10s of NATS coming back")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if req, units := sum(usageEvents(t, js)); req != 150 || units != 300 {
		t.Fatalf("stored %d requests, %d units; want 150 and 300", req, units)
	}
}

// flaky stores what it is given but, the first times, answers an error as
// if the acknowledgement had been lost; it remembers the ids it was given.
type flaky struct {
	store  *eventstore.Store
	lose   atomic.Int32
	mu     sync.Mutex
	msgIDs []string
}

func (f *flaky) Record(ctx context.Context, ref eventstore.Ref, msgID string, evs ...events.Event) (eventstore.Appended, error) {
	f.mu.Lock()
	f.msgIDs = append(f.msgIDs, msgID)
	f.mu.Unlock()
	res, err := f.store.Record(ctx, ref, msgID, evs...)
	if err == nil && f.lose.Add(-1) >= 0 {
		return eventstore.Appended{}, errors.New("timeout: no acknowledgement")
	}
	return res, err
}

// A flush whose event was stored but whose acknowledgement was lost is sent
// again under the same id, and counted once.
func TestARetriedFlushWhoseEventWasStoredCountsOnce(t *testing.T) {
	n := testkit.StartNATS(t)
	js, err := jetstream.New(n.Conn)
	if err != nil {
		t.Fatalf("connect JetStream: %v", err)
	}
	f := &flaky{store: openStore(t, js)}
	f.lose.Store(2)
	rec := usage.New(f, usage.Options{Logger: quiet, Instance: "proc-1"})
	company, bot, key := uuid.NewString(), uuid.NewString(), uuid.NewString()
	for range 7 {
		rec.Record(company, bot, key, 3, time.Now())
	}
	for i := range 2 {
		if err := rec.Flush(context.Background()); err == nil {
			t.Fatalf("flush %d: the lost acknowledgement was not reported", i)
		}
	}
	if err := rec.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(f.msgIDs) != 3 || f.msgIDs[0] != f.msgIDs[1] || f.msgIDs[1] != f.msgIDs[2] {
		t.Fatalf("ids sent %q; want the same id three times", f.msgIDs)
	}
	evs := usageEvents(t, js)
	if req, units := sum(evs); len(evs) != 1 || req != 7 || units != 21 {
		t.Fatalf("%d events with %d requests and %d units; want 1 with 7 and 21", len(evs), req, units)
	}
	// The next flush has an id of its own.
	rec.Record(company, bot, key, 0, time.Now())
	if err := rec.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if last := f.msgIDs[len(f.msgIDs)-1]; last == f.msgIDs[0] {
		t.Fatalf("a new flush reused the id %q", last)
	}
	if req, _ := sum(usageEvents(t, js)); req != 8 {
		t.Fatalf("%d requests stored, want 8", req)
	}
}

// The loop flushes while calls come in from many goroutines; Close stores
// the rest. Every call is counted exactly once.
func TestTheLoopFlushesEveryIntervalAndCloseFlushesTheRest(t *testing.T) {
	n := testkit.StartNATS(t)
	js, err := jetstream.New(n.Conn)
	if err != nil {
		t.Fatalf("connect JetStream: %v", err)
	}
	rec := usage.New(openStore(t, js), usage.Options{Logger: quiet, Interval: 20 * time.Millisecond})
	rec.Start()
	company, bot := uuid.NewString(), uuid.NewString()
	keys := []string{uuid.NewString(), uuid.NewString(), uuid.NewString()}
	const workers, calls = 8, 2000
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range calls {
				rec.Record(company, bot, keys[(w+i)%len(keys)], 1, time.Now())
				if i%500 == 0 {
					time.Sleep(30 * time.Millisecond) // let the loop flush meanwhile
				}
			}
		})
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := rec.Close(ctx); err != nil {
		t.Fatal(err)
	}
	evs := usageEvents(t, js)
	if req, units := sum(evs); req != workers*calls || units != workers*calls {
		t.Fatalf("stored %d requests, %d units; want %d", req, units, workers*calls)
	}
	if len(evs) <= len(keys) {
		t.Errorf("%d events: the loop never flushed before Close", len(evs))
	}
	t.Logf("%d calls stored as %d events", workers*calls, len(evs))
}

// A call with an id that is not a UUID could not be stored (its key names
// a subject): it is not counted, and never blocks the flushes of others.
func TestCallsWithInvalidIDsAreNotCounted(t *testing.T) {
	n := testkit.StartNATS(t)
	js, err := jetstream.New(n.Conn)
	if err != nil {
		t.Fatalf("connect JetStream: %v", err)
	}
	rec := usage.New(openStore(t, js), usage.Options{Logger: quiet})
	company, bot, key := uuid.NewString(), uuid.NewString(), uuid.NewString()
	rec.Record(company, bot, "key.with.dots", 1, time.Now())
	rec.Record("", bot, key, 1, time.Now())
	rec.Record(company, bot, key, 1, time.Now())
	if err := rec.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if req, _ := sum(usageEvents(t, js)); req != 1 {
		t.Fatalf("%d requests stored, want 1", req)
	}
}

// discard is an appender that stores nothing, for the benchmark.
type discard struct{}

func (discard) Record(context.Context, eventstore.Ref, string, ...events.Event) (eventstore.Appended, error) {
	return eventstore.Appended{}, nil
}

// BenchmarkRecord is the cost a bot API call pays, from many goroutines.
func BenchmarkRecord(b *testing.B) {
	rec := usage.New(discard{}, usage.Options{Logger: quiet, Interval: 100 * time.Millisecond})
	rec.Start()
	defer func() {
		if err := rec.Close(context.Background()); err != nil {
			b.Errorf("close the recorder: %v", err)
		}
	}()
	company, bot := uuid.NewString(), uuid.NewString()
	keys := make([]string, 64)
	for i := range keys {
		keys[i] = uuid.NewString()
	}
	var next atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		key := keys[next.Add(1)%int64(len(keys))]
		for pb.Next() {
			rec.Record(company, bot, key, 1, time.Now())
		}
	})
}
