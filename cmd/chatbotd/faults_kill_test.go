package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/command/devseed"
	"github.com/chatbotsaas/chatbot/projector"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// kill9 ends a child with SIGKILL, no goodbye, and reaps it.
func kill9(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); !killed(err) {
		t.Fatalf("%s after SIGKILL: %v, want signal: killed", cmd.Path, err)
	}
}

// killed reports whether err is what Wait answers for a child that SIGKILL
// ended.
func killed(err error) bool {
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return false
	}
	status, ok := exit.Sys().(syscall.WaitStatus)
	return ok && status.Signaled() && status.Signal() == syscall.SIGKILL
}

// caughtUp waits until every projection has applied the whole stream.
func caughtUp(t *testing.T, pool *pgxpool.Pool, js jetstream.JetStream, within time.Duration) {
	t.Helper()
	progress := projector.NewProgress(pool, js, projector.All())
	waitFor(t, "the projections catch up", within, func() bool {
		got, err := progress.Statuses(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range got {
			if s.Lag > 0 || s.Position == 0 {
				return false
			}
		}
		return true
	})
}

// verifyAll compares every live read model with a clean replay of the
// stream, as `chatbotd projections verify --all` does, and counts rows
// missing from the live one and rows there that the replay does not make.
func verifyAll(t *testing.T, pool *pgxpool.Pool, js jetstream.JetStream) (differing, missing, extra int) {
	t.Helper()
	runner := projector.New(projector.Deps{Pool: pool, JS: js, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))},
		projector.All(), projector.Options{})
	for _, p := range projector.All() {
		v, err := runner.Verify(context.Background(), p.Name, 10_000)
		if err != nil {
			t.Fatalf("verify %s: %v", p.Name, err)
		}
		if v.Differences == 0 {
			continue
		}
		differing++
		t.Errorf("%s: %d rows differ from a clean replay, first %+v", p.Name, v.Differences, v.Shown[0])
		for _, d := range v.Shown {
			switch {
			case d.Live == nil:
				missing++
			case d.Rebuilt == nil:
				extra++
			}
		}
	}
	return differing, missing, extra
}

// TestFaultProjectorSIGKILLedWhileEventsFlow kills the projector process at
// random points while events are appended, restarting it each time; the
// read model ends identical to a clean rebuild.
func TestFaultProjectorSIGKILLedWhileEventsFlow(t *testing.T) {
	nt := brokerChild(t, "2m")
	db := testkit.NewEmptyDatabase(t)
	settings := map[string]string{"NATS_URL": nt.URL, "DATA_DIR": t.TempDir(), "LOG_LEVEL": "warn",
		"HTTP_ADDR": freeAddr(t), "DATABASE_URL": db.URL}
	js := jsOf(t, nt)
	kills := faultCount(5, 50)

	// Events flow in batches of a realistic mix while the kills go on, 500
	// a kill in all: a flood of them would only measure how the server
	// queues, and a backlog how fast one projector catches up.
	seeded := make(chan error, 1)
	stop := make(chan struct{})
	var position uint64
	var appended int
	for i := range kills {
		proc := projectorProcess(t, settings)
		if i == 0 { // the first one made the stream: the events flow from here on
			go func() {
				for {
					s, err := devseed.Events(context.Background(), js, devseed.EventsOptions{Events: 500, Tenants: 5, Force: true})
					if err != nil {
						seeded <- err
						return
					}
					position, appended = s.Position, appended+500
					if appended >= 500*kills { // a backlog the last projector catches up on in seconds
						<-stop
						seeded <- nil
						return
					}
					select {
					case <-stop:
						seeded <- nil
						return
					case <-time.After(50 * time.Millisecond):
					}
				}
			}()
		}
		time.Sleep(time.Duration(50+rand.IntN(700)) * time.Millisecond)
		kill9(t, proc)
	}
	close(stop)
	if err := <-seeded; err != nil {
		t.Fatal(err)
	}
	projectorProcess(t, settings)
	pool, err := pgxpool.New(t.Context(), db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	caughtUp(t, pool, js, 5*time.Minute)
	differing, missing, extra := verifyAll(t, pool, js)
	if code, out, errOut := runOnce(settings, "projections", "verify", "--all"); code != 0 {
		t.Errorf("chatbotd projections verify --all: exit %d\n%s%s", code, out, errOut)
		differing++
	}
	recordFault(t, faultRow{Fault: "projector SIGKILLed at random points while events flow", Tries: kills,
		Failures: differing, Lost: missing, Duplicated: extra,
		Notes: fmt.Sprintf("%d events appended meanwhile, up to position %d", appended, position)})
}

// TestFaultServeSIGKILLedUnderLoad kills `chatbotd serve` while creates
// stream in and starts it again: every create it acknowledged is in the
// stream and in the read model, once.
func TestFaultServeSIGKILLedUnderLoad(t *testing.T) {
	nt := brokerChild(t, "always")
	db := testkit.NewEmptyDatabase(t)
	settings := settingsFor(t, db.URL)
	settings["NATS_URL"] = nt.URL
	proc, _ := startChild(t, settings, "serve")
	c := client{t: t, base: "http://" + settings["HTTP_ADDR"]}
	waitReady(t, c.base, 200, 30*time.Second)
	cid, tok, _ := owner(t, c, "owner@example.com")

	kills := faultCount(2, 10)
	load := startCreateLoad(c.base, cid, tok, 4, 10*time.Millisecond)
	for range kills {
		time.Sleep(time.Duration(500+rand.IntN(1000)) * time.Millisecond)
		kill9(t, proc)
		proc, _ = startChild(t, settings, "serve")
		waitReady(t, c.base, 200, 30*time.Second)
	}
	time.Sleep(time.Second)
	sent := load.end()

	failures, leaked := 0, 0
	for _, s := range sent {
		if s.leaks() {
			leaked++
			t.Errorf("%s: the answer shows internals: %s", s.name, s.body)
		}
		// A request the kill cut off gets no answer (status 0): it was
		// not acknowledged. One the process answered is a 201 or a 503.
		if s.status != 0 && s.status != 201 && !s.shedProperly() {
			failures++
			t.Errorf("%s: %d (Retry-After %q): %s", s.name, s.status, s.retryAfter, s.body)
		}
	}
	ack := acked(sent)
	lostStream, dupStream := lostAndDuplicated(ack, createdInStream(t, jsOf(t, nt), cid))
	pool, err := pgxpool.New(t.Context(), db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	lostRows, dupRows := lostAndDuplicated(ack, settled(t, pool, cid, ack, 60*time.Second))
	if lostStream+dupStream+lostRows+dupRows > 0 {
		t.Errorf("of %d acknowledged creates: %d not in the stream, %d twice there; %d not in the read model, %d rows twice",
			len(ack), lostStream, dupStream, lostRows, dupRows)
	}
	if len(ack) == 0 {
		t.Fatal("no create was acknowledged: the load did not run")
	}
	recordFault(t, faultRow{Fault: "chatbotd serve SIGKILLed under command load", Tries: kills, Failures: failures,
		Lost: lostStream + lostRows, Duplicated: dupStream + dupRows, Leaked: leaked,
		Notes: fmt.Sprintf("%d creates, %d acknowledged", len(sent), len(ack))})
}
