package projector

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/readmodel"
	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// follower is a reading process of its own: its own connection.
func (e *env) follower() *readmodel.Follower {
	e.t.Helper()
	nc, err := nats.Connect(e.nats.URL)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(nc.Close)
	f, err := readmodel.Follow(nc, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(f.Close)
	return f
}

func TestAReadWithTheWritesPositionSeesTheWrite(t *testing.T) {
	e := newEnv(t)
	e.runner(e.js, Options{}, notesProjection(), EventLog())
	f := e.follower()
	ctx := context.Background()

	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				text := fmt.Sprintf("w%d-%d", w, i)
				pos := e.note(text)
				if err := f.Wait(ctx, pos, 5*time.Second, "notes", "event_log"); err != nil {
					errs <- fmt.Errorf("%s: %w", text, err)
					return
				}
				if e.count(text) != 1 {
					errs <- fmt.Errorf("%s: waited for position %d, yet the read model lacks it", text, pos)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestAProjectionWithoutEventsOfItsTypesIsCaughtUp(t *testing.T) {
	e := newEnv(t)
	e.runner(e.js, Options{}, notesProjection())
	f := e.follower()
	ctx := context.Background()

	// Notes never saw an event of its types: its checkpoint is 0.
	var last uint64
	for range 5 {
		ack, err := e.js.Publish(ctx, events.Subject("t1", "other", uuid.NewString(), "SomethingElse"), []byte(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		last = ack.Sequence
	}
	if err := f.Wait(ctx, last, 5*time.Second, "notes"); err != nil {
		t.Fatalf("notes held back by events it does not read: %v", err)
	}
	if got := e.checkpoint("notes"); got != 0 {
		t.Fatalf("notes checkpoint %d, want 0: the wait passed without it", got)
	}
}

func TestANewReaderLearnsHowFarProjectionsAre(t *testing.T) {
	e := newEnv(t)
	// No heartbeat within the test: only the reader's ask can tell it.
	e.runner(e.js, Options{heartbeat: time.Hour}, notesProjection())
	pos := e.note("before the reader")
	e.waitCheckpoint("notes", pos, 10*time.Second)
	time.Sleep(50 * time.Millisecond) // the commit's own announcement has gone by

	// Nothing is written after the reader starts: what it knows, it
	// learnt by asking the running projector.
	f := e.follower()
	if err := f.Wait(context.Background(), pos, 5*time.Second, "notes"); err != nil {
		t.Fatal(err)
	}
}

func TestARestartedProjectorAnnouncesWhatItHadApplied(t *testing.T) {
	e := newEnv(t)
	first := e.runner(e.js, Options{}, notesProjection())
	pos := e.note("applied before the restart")
	e.waitCheckpoint("notes", pos, 10*time.Second)
	ack, err := e.js.Publish(context.Background(), events.Subject("t1", "other", uuid.NewString(), "SomethingElse"), []byte(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	first.Stop()

	e.runner(e.js, Options{}, notesProjection())
	if err := e.follower().Wait(context.Background(), ack.Sequence, 5*time.Second, "notes"); err != nil {
		t.Fatal(err)
	}
}

func TestAWaitGivesUpAtItsBoundWhenNoProjectorRuns(t *testing.T) {
	e := newEnv(t)
	r := e.runner(e.js, Options{}, notesProjection())
	f := e.follower()
	if err := f.Wait(context.Background(), e.note("seen"), 5*time.Second, "notes"); err != nil {
		t.Fatal(err)
	}
	r.Stop()

	pos := e.note("not seen")
	const bound = 300 * time.Millisecond
	start := time.Now()
	err := f.Wait(context.Background(), pos, bound, "notes")
	took := time.Since(start)
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Code != "projection_lagging" || ae.RetryAfter < 1 {
		t.Fatalf("wait without a projector: %v", err)
	}
	// Generous for a loaded machine; the point is seconds late never.
	if took < bound || took > bound+time.Second {
		t.Fatalf("gave up after %v, want at the bound of %v", took, bound)
	}
}

func TestTheFeedMatchesSubjectsAsTheConsumersFiltersDo(t *testing.T) {
	a := newAnnouncer(testkitJS(t), All(), nil)
	if !a.byType {
		t.Fatal("the projections' filters are not all by event type: every event is matched afresh")
	}
	subjects := []string{
		events.Subject("t1", "chatbot", uuid.NewString(), events.ChatbotCreated),
		events.Subject("t2", "chatbot", uuid.NewString(), events.ChatbotCreated), // remembered
		events.Subject("platform", "user", uuid.NewString(), events.UserRegistered),
		events.Subject("platform", "session", uuid.NewString(), events.UserRegistered), // not a user's: read by none
		events.Subject("t1", "thing", uuid.NewString(), "NobodyReadsThis"),
		"events.t1.odd.NobodyReadsThis",
		"timers.unlock.t1.u1.42",
	}
	for _, subject := range subjects {
		got := a.matching(subject)
		for i, p := range a.projections {
			want := false
			for _, f := range p.FilterSubjects() {
				want = want || server.SubjectMatchesFilter(subject, f)
			}
			if got[i] != want {
				t.Errorf("%s for %s: got %v, want %v", subject, p.Name, got[i], want)
			}
		}
	}
}

func testkitJS(t *testing.T) jetstream.JetStream {
	t.Helper()
	js, err := jetstream.New(testkit.StartNATS(t).Conn)
	if err != nil {
		t.Fatal(err)
	}
	return js
}
