package readmodel

import (
	"context"
	"testing"
	"time"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// A partitioned projection is followed partition by partition: a tenant's
// read waits for its own partition, and the projection as a whole is
// through what all its partitions are through.
func TestAFollowerKnowsPartitions(t *testing.T) {
	n := testkit.StartNATS(t)
	f, err := Follow(n.Conn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.ForTenant("acme", "usage"); got != "usage" {
		t.Fatalf("before any mark, a tenant's usage read waits for %q", got)
	}
	announce := func(i int, through uint64) {
		t.Helper()
		mk := Mark{Projection: "usage_" + string(rune('0'+i)) + "of2", Checkpoint: through, Through: through, Of: "usage", Partition: i, Partitions: 2}
		if err := n.Conn.Publish(StateSubject, Announcement{Marks: []Mark{mk}}.Encode()); err != nil {
			t.Fatal(err)
		}
	}
	whole := make(chan error, 1)
	go func() { whole <- f.Wait(context.Background(), 20, 5*time.Second, "usage") }()
	announce(0, 30)
	announce(1, 10)
	tenant := "acme"
	want := "usage_" + string(rune('0'+events.TenantPartition(tenant, 2))) + "of2"
	deadline := time.Now().Add(5 * time.Second)
	for f.ForTenant(tenant, "usage") != want {
		if time.Now().After(deadline) {
			t.Fatalf("a tenant's usage read waits for %q, want %q", f.ForTenant(tenant, "usage"), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-whole:
		t.Fatalf("the whole projection through 20 with a partition at 10: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	announce(1, 25)
	if err := <-whole; err != nil {
		t.Fatalf("both partitions through 20: %v", err)
	}
	if got := f.Through("usage"); got != 25 {
		t.Fatalf("usage is through %d, want the lower partition's 25", got)
	}
	if got := f.needs("usage", 28); got["usage_0of2"] != 28 || got["usage_1of2"] != 25 {
		t.Fatalf("a replica must show %v", got)
	}
}
