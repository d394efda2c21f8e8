package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/projector"
	"github.com/chatbotsaas/chatbot/shared/natsx"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// Two chatbotd serve processes on a 3-node NATS cluster at R3 take a
// steady stream of creates; the node leading EVENTS is SIGKILLed (once in
// CI, three times behind make faults), then started again. Every create
// answered 201 is in the stream once and, after catch-up, in the read
// model; the others answer 503 with Retry-After; both processes take
// creates again within seconds; the node rejoins and catches up.
func TestFaultClusterNodeSIGKILLedUnderCommandLoad(t *testing.T) {
	cl, common, nc := testCluster(t)
	db := testkit.NewEmptyDatabase(t)
	var bases []string
	var outputs []*syncBuffer
	data := t.TempDir() // shared, as in compose: one signing key, one personal-data key
	for range 2 {
		s := map[string]string{"DATABASE_URL": db.URL, "HTTP_ADDR": freeAddr(t), "DATA_DIR": data}
		for k, v := range common {
			s[k] = v
		}
		_, out := startChild(t, s, "serve") // one after the other: the first migrates
		outputs = append(outputs, out)
		bases = append(bases, "http://"+s["HTTP_ADDR"])
		waitReady(t, bases[len(bases)-1], 200, 60*time.Second)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	everyStreamAtR3(t, js)

	c := client{t: t, base: bases[0]}
	cid, tok, _ := owner(t, c, "owner@example.com")
	load := startCommandLoad(bases, "/v1/companies/"+cid+"/chatbots", tok, 6)
	began := time.Now()
	t.Cleanup(func() {
		if t.Failed() {
			load.mu.Lock()
			t.Logf("creates answered 201: %d; others: %v", len(load.done), load.others)
			load.mu.Unlock()
		}
	})
	waitFor(t, "creates on both processes", 30*time.Second, func() bool { return load.since(began, 0) >= 20 && load.since(began, 1) >= 20 })
	kills := faultCount(1, 3)
	var slowest time.Duration
	for range kills {
		slowest = max(slowest, killStreamLeader(t, cl, js, load))
	}
	done, others := load.end()
	failures := 0
	for what, n := range others {
		if what != "503" {
			failures += n
			t.Errorf("a create answered %s during the fail-over, want 201 or 503: %v", what, others)
		}
	}
	inStream := chatbotsCreated(t, js, cid)
	lost, duplicated := 0, 0
	for _, d := range done {
		switch n := inStream[d.id]; {
		case n == 0:
			lost++
		case n > 1:
			duplicated++
		}
		if inStream[d.id] != 1 {
			t.Errorf("chatbot %s (answered 201 at position %d) is in the stream %d times", d.id, d.position, inStream[d.id])
		}
	}
	inReadModel(t, db, js, cid, done)
	for _, out := range outputs {
		if n := strings.Count(out.String(), "never received"); n > 0 {
			t.Logf("a projection found a delivery lost in the fail-over %d times and started again from its checkpoint", n)
		}
	}
	recordFault(t, faultRow{Fault: "a NATS node of 3 (the EVENTS leader) SIGKILLed under command load, R3", Tries: kills,
		Failures: failures, Lost: lost, Duplicated: duplicated,
		Notes: fmt.Sprintf("%d creates acknowledged over two serve processes, the others %v; both serving again within %v of a kill; the node rejoined each time",
			len(done), others, slowest.Round(100*time.Millisecond))})
}

// killStreamLeader SIGKILLs the node leading EVENTS under the load, waits
// until both processes take creates again, and starts the node again; it
// returns how long the processes took to serve again.
func killStreamLeader(t *testing.T, cl *natsx.Cluster, js jetstream.JetStream, load *commandLoad) time.Duration {
	t.Helper()
	leader := streamLeader(t, js)
	killed := cl.Index(leader)
	if err := cl.Kill(killed); err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	took := waitFor(t, "creates answered on both processes after the kill", 45*time.Second, func() bool {
		return load.since(at, 0) >= 20 && load.since(at, 1) >= 20
	})
	if now := streamLeader(t, js); now == leader {
		t.Errorf("EVENTS is still led by the killed %s", leader)
	}
	t.Logf("killed %s (the EVENTS leader); both processes serving again %v after it", leader, took.Round(100*time.Millisecond))
	if err := cl.Start(killed); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the killed node is current again", 60*time.Second, func() bool { return cl.Current(killed) })
	waitFor(t, "EVENTS has every replica current", 30*time.Second, func() bool { return replicasCurrent(js) })
	return took
}

// everyStreamAtR3 checks the stream and every bucket the product made are
// replicated on the three nodes.
func everyStreamAtR3(t *testing.T, js jetstream.JetStream) {
	t.Helper()
	names := js.StreamNames(context.Background())
	n := 0
	for name := range names.Name() {
		n++
		s, err := js.Stream(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		if r := s.CachedInfo().Config.Replicas; r != 3 {
			t.Errorf("%s has %d replicas, want 3", name, r)
		}
	}
	if names.Err() != nil {
		t.Fatal(names.Err())
	}
	if n < 4 { // EVENTS and the buckets: idempotency, credentials, snapshots, ...
		t.Fatalf("only %d streams and buckets", n)
	}
}

// chatbotsCreated counts the ChatbotCreated events of company cid by
// chatbot. The node started again may not answer JetStream's API at
// first: the read is tried again for a while.
func chatbotsCreated(t *testing.T, js jetstream.JetStream, cid string) map[string]int {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		seen, err := readChatbotsCreated(js, cid)
		if err == nil {
			return seen
		}
		if time.Now().After(deadline) {
			t.Fatalf("read the stream: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func readChatbotsCreated(js jetstream.JetStream, cid string) (map[string]int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	filter := events.Subject(cid, events.AggregateChatbot, "*", events.ChatbotCreated)
	cons, err := js.OrderedConsumer(ctx, events.StreamName, jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}})
	if err != nil {
		return nil, err
	}
	seen := map[string]int{}
	for {
		batch, err := cons.FetchNoWait(500)
		if err != nil {
			return nil, err
		}
		got := 0
		for m := range batch.Messages() {
			got++
			seen[strings.Split(m.Subject(), ".")[3]]++
		}
		if batch.Error() != nil {
			return nil, batch.Error()
		}
		info, err := cons.Info(ctx)
		if err != nil {
			return nil, err
		}
		if got == 0 && info.NumPending == 0 {
			return seen, nil
		}
	}
}

// inReadModel waits for every acknowledged chatbot in rm_chatbots_v1.
func inReadModel(t *testing.T, db *testkit.Database, js jetstream.JetStream, cid string, done []created) {
	t.Helper()
	ids := make([]string, len(done))
	for i, d := range done {
		ids[i] = d.id
	}
	var n int
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("%d of the %d acknowledged chatbots in the read model; missing: %s", n, len(ids), missingFromReadModel(t, db, done))
			st, err := projector.NewProgress(db.Pool, js, projector.All()).Statuses(context.Background())
			t.Logf("projections: %+v %v", st, err)
		}
	})
	waitFor(t, "every acknowledged chatbot in the read model", 60*time.Second, func() bool {
		err := db.Pool.QueryRow(context.Background(),
			"SELECT count(*) FROM rm_chatbots_v1 WHERE tenant_id = $1 AND id = ANY($2::uuid[])", cid, ids).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n == len(ids)
	})
}

func replicasCurrent(js jetstream.JetStream) bool {
	s, err := js.Stream(context.Background(), events.StreamName)
	if err != nil || s.CachedInfo().Cluster == nil {
		return false
	}
	peers := s.CachedInfo().Cluster.Replicas
	for _, p := range peers {
		if !p.Current || p.Offline {
			return false
		}
	}
	return len(peers) == 2
}

// missingFromReadModel names the acknowledged chatbots rm_chatbots_v1 lacks,
// with their positions, and whether the audit log (another consumer of
// the same events) has them.
func missingFromReadModel(t *testing.T, db *testkit.Database, done []created) string {
	var out []string
	for _, d := range done {
		var inChatbots, inLog bool
		err := db.Pool.QueryRow(context.Background(), `SELECT EXISTS (SELECT 1 FROM rm_chatbots_v1 WHERE id = $1::uuid),
			EXISTS (SELECT 1 FROM rm_event_log_v1 WHERE aggregate_id = $2 AND type = 'ChatbotCreated')`, d.id, d.id).Scan(&inChatbots, &inLog)
		if err != nil {
			return err.Error()
		}
		if !inChatbots {
			out = append(out, fmt.Sprintf("%s at position %d (in the audit log: %v)", d.id, d.position, inLog))
		}
	}
	return strings.Join(out, ", ")
}
