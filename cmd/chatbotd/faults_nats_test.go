package main

import (
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/shared/natsx"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// restartableNATS is an embedded JetStream server the test stops and
// starts again on the same port, store and users.
type restartableNATS struct {
	t      *testing.T
	listen string
	dir    string
	users  natsx.Users
	emb    *natsx.Embedded
}

func startRestartableNATS(t *testing.T) *restartableNATS {
	n := &restartableNATS{t: t, listen: freeAddr(t), dir: t.TempDir()}
	n.start()
	n.users = n.emb.Users()
	t.Cleanup(func() {
		if n.emb != nil {
			n.emb.Shutdown()
		}
	})
	return n
}

func (n *restartableNATS) start() {
	n.t.Helper()
	o := natsx.EmbeddedOptions{Listen: n.listen, StoreDir: n.dir, SyncInterval: "always"}
	if n.users.Service.User != "" {
		o.Users = &n.users
	}
	emb, err := natsx.StartEmbedded(o)
	if err != nil {
		n.t.Fatalf("start NATS: %v", err)
	}
	n.emb = emb
}

func (n *restartableNATS) stop() {
	n.emb.Shutdown()
	n.emb = nil
}

// url is the service user's URL of the server.
func (n *restartableNATS) url() string {
	u := url.URL{Scheme: "nats", Host: n.listen, User: url.UserPassword(n.users.Service.User, n.users.Service.Password)}
	return u.String()
}

// js connects anew, for the checks after the faults.
func (n *restartableNATS) js() jetstream.JetStream {
	n.t.Helper()
	nc, err := nats.Connect(n.url())
	if err != nil {
		n.t.Fatal(err)
	}
	n.t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		n.t.Fatal(err)
	}
	return js
}

// TestFaultNATSStoppedUnderCommandLoad stops NATS under a steady load of
// chatbot creates and starts it again. Every create acknowledged with 201
// is in the stream and then in the read model; one sent during the outage
// answers 503 with Retry-After within a few seconds; none answers 500; and
// creates succeed again within a second of the server's return.
func TestFaultNATSStoppedUnderCommandLoad(t *testing.T) {
	n := startRestartableNATS(t)
	db := testkit.NewEmptyDatabase(t)
	settings := settingsFor(t, db.URL)
	settings["NATS_URL"], settings["REQUEST_TIMEOUT"] = n.url(), "15s"
	startChild(t, settings, "serve")
	c := client{t: t, base: "http://" + settings["HTTP_ADDR"]}
	waitReady(t, c.base, 200, 30*time.Second)
	cid, tok, _ := owner(t, c, "owner@example.com")

	outages := faultCount(1, 5)
	outage := time.Duration(faultCount(3, 8)) * time.Second
	load := startCreateLoad(c.base, cid, tok, 4, 20*time.Millisecond)
	var downs, ups []time.Time
	for range outages {
		time.Sleep(2 * time.Second)
		n.stop()
		downs = append(downs, time.Now())
		time.Sleep(outage)
		n.start()
		ups = append(ups, time.Now())
	}
	time.Sleep(3 * time.Second)
	sent := load.end()

	failures, leaked := 0, 0
	fail := func(format string, args ...any) {
		failures++
		if failures <= 10 {
			t.Errorf(format, args...)
		}
	}
	during := 0
	for _, s := range sent {
		if s.leaks() {
			leaked++
			t.Errorf("%s: the answer shows internals: %s", s.name, s.body)
		}
		switch {
		case s.status == 201:
		case s.shedProperly() && s.status == 503:
			if s.took > 6*time.Second {
				fail("%s: 503 after %v, not within a few seconds", s.name, s.took)
			}
		default:
			fail("%s: %d after %v (Retry-After %q): %s %v", s.name, s.status, s.took, s.retryAfter, s.body, s.err)
		}
		for i := range downs {
			if !s.sent.Before(downs[i]) && s.sent.Before(ups[i]) {
				during++
				if s.status != 503 {
					fail("%s sent during an outage: %d, want 503", s.name, s.status)
				}
			}
		}
	}
	if during == 0 {
		t.Fatal("no create was sent during an outage: the fault was not exercised")
	}
	var slowest time.Duration
	for i, up := range ups {
		back := firstSuccessAfter(sent, up)
		if back < 0 {
			fail("no create succeeded after NATS came back (outage %d)", i+1)
			continue
		}
		slowest = max(slowest, back)
		if back > time.Second {
			fail("creates worked again %v after NATS came back, not within a second", back)
		}
	}

	ack := acked(sent)
	js := n.js()
	lostStream, dupStream := lostAndDuplicated(ack, createdInStream(t, js, cid))
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
	t.Logf("%d creates, %d acknowledged, %d sent during %d outages of %v; back within %v", len(sent), len(ack), during, outages, outage, slowest)
	recordFault(t, faultRow{Fault: fmt.Sprintf("NATS stopped %v under command load", outage), Tries: outages,
		Failures: failures, Lost: lostStream + lostRows, Duplicated: dupStream + dupRows, Leaked: leaked,
		Notes: fmt.Sprintf("%d creates, %d acknowledged, %d during outages all 503; back within %v", len(sent), len(ack), during, slowest.Round(time.Millisecond))})
}

// firstSuccessAfter is how long after at the first create sent since then
// was answered 201, or -1.
func firstSuccessAfter(sent []sentCommand, at time.Time) time.Duration {
	best := time.Duration(-1)
	for _, s := range sent {
		if s.status == 201 && !s.sent.Before(at) {
			if d := s.sent.Add(s.took).Sub(at); best < 0 || d < best {
				best = d
			}
		}
	}
	return best
}
