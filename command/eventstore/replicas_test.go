package eventstore_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/natsx"
)

// The cluster's nodes are this test binary, run as a NATS node.
func init() { natsx.ServeNodeIfAsked() }

// clusterStore opens a store at replicas 3 through one node of cl, the
// connection pinned to that node so its direct gets are that node's.
func clusterStore(t *testing.T, cl *natsx.Cluster, users *natsx.Users, node int) (*eventstore.Store, jetstream.JetStream) {
	t.Helper()
	url := cl.NodeURL(node)
	nc, err := nats.Connect(url, nats.UserInfo(users.Service.User, users.Service.Password),
		nats.CustomInboxPrefix(natsx.ServiceInboxPrefix), nats.DontRandomize(), nats.NoReconnect())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := eventstore.Open(context.Background(), js, eventstore.Options{Registry: testRegistry(), Replicas: 3})
	if err != nil {
		t.Fatal(err)
	}
	return s, js
}

// Replicas answer direct gets and apply what the leader committed a moment
// later. An aggregate created through the leader's node, and a value
// reserved there, are found at once through a follower's node, every time:
// a follower that has nothing yet is not taken at its word, and a decision
// on its stale state is decided again on the leader's.
func TestWhatWasJustWrittenThroughAnotherNodeIsFoundThroughAFollower(t *testing.T) {
	dir := t.TempDir()
	users, err := natsx.EmbeddedUsers(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	cl, err := natsx.StartCluster(natsx.ClusterOptions{Dir: dir, Sync: "always", Users: users, Exe: os.Args[0]})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	ctx := context.Background()

	first, js := clusterStore(t, cl, users, 0)
	info, err := js.Stream(ctx, events.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	leader := cl.Index(info.CachedInfo().Cluster.Leader)
	if leader < 0 {
		t.Fatalf("no leader for %s: %+v", events.StreamName, info.CachedInfo().Cluster)
	}
	writer := first
	if leader != 0 {
		writer, _ = clusterStore(t, cl, users, leader)
	}
	var readers []*eventstore.Store
	for i := 1; i < cl.Nodes(); i++ {
		r, _ := clusterStore(t, cl, users, (leader+i)%cl.Nodes())
		readers = append(readers, r)
	}
	t.Logf("stream leader %s", cl.Name(leader))

	// A fresh cluster's stream and buckets take their first writes once
	// their leaders are elected.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		_, aerr := writer.Append(ctx, newRef(), eventstore.Loaded{}, inc(1))
		rerr := writer.Reserve(ctx, "email", "warm-up@example.com", "warm-up")
		if aerr == nil && rerr == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the cluster takes no writes: %v, %v", aerr, rerr)
		}
	}

	const rounds = 500
	before := time.Now()
	for i := range rounds {
		reader := readers[i%len(readers)]
		ref := newRef()
		if _, err := writer.Append(ctx, ref, eventstore.Loaded{}, inc(1)); err != nil {
			t.Fatal(err)
		}
		var c counter
		loaded, err := reader.Load(ctx, ref, &c)
		if err != nil {
			t.Fatal(err)
		}
		if loaded.Version != 1 || c.Count != 1 {
			t.Fatalf("round %d: the aggregate just created reads as version %d, count %d", i, loaded.Version, c.Count)
		}

		// A decision through the follower right after another write
		// through the leader is decided on the newest state.
		second, err := writer.Append(ctx, ref, loaded, inc(1))
		if err != nil {
			t.Fatal(err)
		}
		decidedOn, upd, err := eventstore.Update(ctx, reader, ref, func(c *counter) (int, []events.Event, error) {
			return c.Count, []events.Event{inc(1)}, nil
		})
		if err != nil {
			t.Fatalf("round %d: an update through the follower: %v", i, err)
		}
		if decidedOn != 2 || upd.Position <= second.Position {
			t.Fatalf("round %d: the update through the follower was decided on a count of %d, at %d after %d", i, decidedOn, upd.Position, second.Position)
		}

		value := ref.ID + "@example.com"
		if err := writer.Reserve(ctx, "email", value, ref.ID); err != nil {
			t.Fatal(err)
		}
		owner, err := reader.Owner(ctx, "email", value)
		if err != nil {
			t.Fatal(err)
		}
		if owner != ref.ID {
			t.Fatalf("round %d: the value just reserved reads as owned by %q", i, owner)
		}
		// The same owner reserving again through the follower succeeds.
		if err := reader.Reserve(ctx, "email", value, ref.ID); err != nil {
			t.Fatalf("round %d: reserving again for the same owner: %v", i, err)
		}
	}
	t.Logf("%d creates and reservations read back through a follower in %v", rounds, time.Since(before))
}
