package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// Two chatbotd serve processes on a 3-node NATS cluster at R3 take a
// steady stream of creates; the node leading EVENTS is SIGKILLed. Every
// create answered 201 is in the stream once and, after catch-up, in the
// read model; both processes keep taking creates; the node rejoins.
func TestAClusterLosingTheStreamLeaderKeepsEveryAcknowledgedCommand(t *testing.T) {
	cl, common, nc := testCluster(t)
	db := testkit.NewEmptyDatabase(t)
	var bases []string
	data := t.TempDir() // shared, as in compose: one signing key, one personal-data key
	for range 2 {
		s := map[string]string{"DATABASE_URL": db.URL, "HTTP_ADDR": freeAddr(t), "DATA_DIR": data}
		for k, v := range common {
			s[k] = v
		}
		startChild(t, s, "serve") // one after the other: the first migrates
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

	leader := streamLeader(t, js)
	killed := cl.Index(leader)
	if err := cl.Kill(killed); err != nil {
		t.Fatal(err)
	}
	at := time.Now()
	took := waitFor(t, "creates answered on both processes after the kill", 45*time.Second, func() bool {
		return load.since(at, 0) >= 20 && load.since(at, 1) >= 20
	})
	time.Sleep(time.Second)
	done, others := load.end()
	after := load.since(at, 0) + load.since(at, 1)
	t.Logf("killed %s (the EVENTS leader); %d creates answered 201 (%d after the kill, both processes serving again %v after it); others %v",
		leader, len(done), after, took.Round(100*time.Millisecond), others)
	for what := range others {
		if what != "503" {
			t.Errorf("a create answered %s during the fail-over, want 201 or 503: %v", what, others)
		}
	}
	if newLeader := streamLeader(t, js); newLeader == leader {
		t.Errorf("EVENTS is still led by the killed %s", leader)
	}

	inStream := chatbotsCreated(t, js, cid)
	for _, d := range done {
		if inStream[d.id] != 1 {
			t.Errorf("chatbot %s (answered 201 at position %d) is in the stream %d times", d.id, d.position, inStream[d.id])
		}
	}
	inReadModel(t, db, cid, done)

	if err := cl.Start(killed); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the killed node is current again", 60*time.Second, func() bool { return cl.Current(killed) })
	waitFor(t, "EVENTS has every replica current", 30*time.Second, func() bool { return replicasCurrent(js) })
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

// chatbotsCreated counts the ChatbotCreated events of company cid by chatbot.
func chatbotsCreated(t *testing.T, js jetstream.JetStream, cid string) map[string]int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	filter := events.Subject(cid, events.AggregateChatbot, "*", events.ChatbotCreated)
	cons, err := js.OrderedConsumer(ctx, events.StreamName, jetstream.OrderedConsumerConfig{FilterSubjects: []string{filter}})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for {
		batch, err := cons.FetchNoWait(500)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			seen[strings.Split(m.Subject(), ".")[3]]++
		}
		if batch.Error() != nil {
			t.Fatal(batch.Error())
		}
		info, err := cons.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got == 0 && info.NumPending == 0 {
			return seen
		}
	}
}

// inReadModel waits for every acknowledged chatbot in rm_chatbots_v1.
func inReadModel(t *testing.T, db *testkit.Database, cid string, done []created) {
	t.Helper()
	ids := make([]string, len(done))
	for i, d := range done {
		ids[i] = d.id
	}
	var n int
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
