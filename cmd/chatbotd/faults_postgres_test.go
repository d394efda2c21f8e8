package main

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// sentRead is one read of a load and what it got.
type sentRead struct {
	sent time.Time
	answer
}

// readLoad sends GETs from several workers until stopped.
type readLoad struct {
	stop chan struct{}
	wg   sync.WaitGroup
	mu   sync.Mutex
	sent []sentRead
}

func startReadLoad(url string, workers int, pause time.Duration, headers ...string) *readLoad {
	l := &readLoad{stop: make(chan struct{})}
	for range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for {
				select {
				case <-l.stop:
					return
				default:
				}
				r := sentRead{sent: time.Now()}
				r.answer = send("GET", url, nil, headers...)
				l.mu.Lock()
				l.sent = append(l.sent, r)
				l.mu.Unlock()
				time.Sleep(pause)
			}
		}()
	}
	return l
}

func (l *readLoad) end() []sentRead {
	close(l.stop)
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sent
}

// TestFaultPostgresRestartedUnderLoad stops the read models' Postgres (a
// cluster of the test's own) under creates and reads, and starts it again.
// Creates keep succeeding (they need NATS alone); reads answer 503 with
// Retry-After while it is down, never 500; the projectors resume and the
// read model ends with every acknowledged create, once.
func TestFaultPostgresRestartedUnderLoad(t *testing.T) {
	pg := testkit.StartPGCluster(t)
	nt := brokerChild(t, "always")
	settings := settingsFor(t, pg.URL("chatbot"))
	settings["NATS_URL"] = nt.URL
	startChild(t, settings, "serve")
	c := client{t: t, base: "http://" + settings["HTTP_ADDR"]}
	waitReady(t, c.base, 200, 60*time.Second)
	cid, tok, _ := owner(t, c, "owner@example.com")

	outages := faultCount(1, 5)
	outage := time.Duration(faultCount(3, 10)) * time.Second
	creates := startCreateLoad(c.base, cid, tok, 2, 20*time.Millisecond)
	reads := startReadLoad(c.base+"/v1/companies/"+cid+"/chatbots", 2, 20*time.Millisecond, "Authorization", "Bearer "+tok)
	var downs, ups []time.Time
	for range outages {
		time.Sleep(2 * time.Second)
		pg.Stop()
		downs = append(downs, time.Now())
		time.Sleep(outage)
		pg.Start()
		ups = append(ups, time.Now())
	}
	time.Sleep(3 * time.Second)
	sentCreates, sentReads := creates.end(), reads.end()

	failures, leaked := 0, 0
	fail := func(format string, args ...any) {
		failures++
		if failures <= 10 {
			t.Errorf(format, args...)
		}
	}
	down := func(at time.Time) bool {
		for i := range downs {
			if !at.Before(downs[i]) && at.Before(ups[i]) {
				return true
			}
		}
		return false
	}
	createdDuring, readsDuring, unavailableReads := 0, 0, 0
	for _, s := range sentCreates {
		if s.leaks() {
			leaked++
		}
		if s.status != 201 {
			fail("create %s: %d (Retry-After %q): %s %v", s.name, s.status, s.retryAfter, s.body, s.err)
		} else if down(s.sent) {
			createdDuring++
		}
	}
	for _, r := range sentReads {
		if r.leaks() {
			leaked++
			t.Errorf("a read's answer shows internals: %s", r.body)
		}
		switch {
		case r.status == 200:
		case r.status == 503 && r.shedProperly():
			unavailableReads++
		default:
			fail("read: %d (Retry-After %q) after %v: %s %v", r.status, r.retryAfter, r.took, r.body, r.err)
		}
		if down(r.sent) {
			readsDuring++
		}
	}
	if createdDuring == 0 || readsDuring == 0 {
		t.Fatalf("%d creates and %d reads sent while Postgres was down: the fault was not exercised", createdDuring, readsDuring)
	}
	if unavailableReads == 0 {
		fail("no read answered 503 while Postgres was down")
	}

	ack := acked(sentCreates)
	lostStream, dupStream := lostAndDuplicated(ack, createdInStream(t, jsOf(t, nt), cid))
	pool, err := pgxpool.New(t.Context(), pg.URL("chatbot"))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	lostRows, dupRows := lostAndDuplicated(ack, settled(t, pool, cid, ack, 60*time.Second))
	if lostStream+dupStream+lostRows+dupRows > 0 {
		t.Errorf("of %d acknowledged creates: %d not in the stream, %d twice there; %d not in the read model, %d rows twice",
			len(ack), lostStream, dupStream, lostRows, dupRows)
	}
	recordFault(t, faultRow{Fault: fmt.Sprintf("Postgres stopped %v under creates and reads", outage), Tries: outages,
		Failures: failures, Lost: lostStream + lostRows, Duplicated: dupStream + dupRows, Leaked: leaked,
		Notes: fmt.Sprintf("%d creates (%d while down, all 201), %d reads (%d answered 503 with Retry-After)",
			len(sentCreates), createdDuring, len(sentReads), unavailableReads)})
}
