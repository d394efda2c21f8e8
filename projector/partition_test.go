package projector

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
)

// A projection partitioned by tenant applies each event once across its
// partitions, and a rebuild swaps in tables that every partition then goes
// on from, applying nothing twice (the notes projection counts, so a
// double application would show); verify finds the partitioned read model
// equal to a replay.
func TestAPartitionedProjectionRebuildsAndVerifiesAcrossItsPartitions(t *testing.T) {
	e := newEnv(t)
	notes := notesProjection()
	notes.Partitions = 3
	e.runner(e.js, Options{}, notes)
	ctx := context.Background()
	note := func(i int) {
		ref := eventstore.Ref{Tenant: fmt.Sprintf("tenant%d", i%7), Type: "note", ID: uuid.NewString()}
		if _, err := e.store.Append(ctx, ref, eventstore.Loaded{}, events.Event{Type: notedType, Data: noted{Text: fmt.Sprintf("n%d", i%10)}}); err != nil {
			t.Fatal(err)
		}
	}
	total := func() int {
		var n int
		if err := e.db.Pool.QueryRow(ctx, "SELECT coalesce(sum(n), 0) FROM notes").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	waitTotal := func(want int) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for total() != want {
			if time.Now().After(deadline) {
				t.Fatalf("notes total %d, want %d", total(), want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	for i := range 60 {
		note(i)
	}
	waitTotal(60)
	used := 0
	for _, name := range notes.PartitionNames() {
		if e.checkpoint(name) > 0 {
			used++
		}
	}
	if used < 2 {
		t.Fatalf("7 tenants went to %d of 3 partitions", used)
	}
	if err := e.rebuild("notes", 20*time.Second); err != nil {
		t.Fatal(err)
	}
	for i := 60; i < 90; i++ {
		note(i)
	}
	waitTotal(90)
	time.Sleep(300 * time.Millisecond) // a second application would land meanwhile
	if n := total(); n != 90 {
		t.Fatalf("after the rebuild, %d notes counted for 90 appended", n)
	}
	v, err := New(Deps{Pool: e.db.Pool, JS: e.js, Registry: e.reg}, []Projection{notes}, Options{}).Verify(ctx, "notes", 5)
	if err != nil {
		t.Fatal(err)
	}
	if v.Differences != 0 || v.Events != 90 {
		t.Fatalf("verify of the partitioned notes: %d differ, %d events replayed: %+v", v.Differences, v.Events, v.Shown)
	}
}

func TestAPartitionTransformKeepsEveryTokenOfItsFilter(t *testing.T) {
	for filter, want := range map[string]string{
		"events.*.usage.*.UsageRecorded": "{{wildcard(1)}}.usage.{{wildcard(2)}}.UsageRecorded",
		"events.*.*.*.Odd":               "{{wildcard(1)}}.{{wildcard(2)}}.{{wildcard(3)}}.Odd",
	} {
		if got := keepTokens(filter); got != want {
			t.Errorf("keepTokens(%s) = %s, want %s", filter, got, want)
		}
	}
}
