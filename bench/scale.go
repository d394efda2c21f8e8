package main

import (
	"context"
	"fmt"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/command/bot"
	"github.com/chatbotsaas/chatbot/command/devseed"
	"github.com/chatbotsaas/chatbot/events"
)

// Scale is `serve` over a large seeded stream: start-up and resident
// memory, with the broker embedded and with the broker in a process of its
// own.
type Scale struct {
	Chatbots int      `json:"chatbots"`
	Keys     int      `json:"keys"`
	Embedded ScaleRun `json:"embedded" doc:"serve with its NATS server embedded (make run): its process holds the broker's memory too"`
	External ScaleRun `json:"external" doc:"serve against a standalone NATS server in a process of its own, as docker compose and production run it"`
}

// ScaleRun is one seeded stream and the measured restart of serve over it.
type ScaleRun struct {
	SeedSeconds   float64 `json:"seed_s"`
	ColdReadyS    float64 `json:"cold_ready_s" doc:"first start, no snapshot of the key index yet"`
	ReadyS        float64 `json:"ready_s" doc:"a restart: exec to /readyz 200"`
	RSSReadyMB    float64 `json:"rss_ready_mb"`
	RSSIdleMB     float64 `json:"rss_idle_mb" doc:"60 s after ready, no calls"`
	HeapIdleMB    float64 `json:"heap_idle_mb" doc:"the Go heap in use then (go_memstats_heap_inuse_bytes): what is live, an embedded broker included"`
	RSSLoadPeakMB float64 `json:"rss_load_peak_mb" doc:"highest during the bot API load"`
	RSSAfterMB    float64 `json:"rss_after_mb" doc:"60 s after the load ended"`
	BrokerIdleMB  float64 `json:"broker_rss_idle_mb,omitempty" doc:"the standalone NATS server's resident set when serve's is read idle"`
	BrokerAfterMB float64 `json:"broker_rss_after_mb,omitempty" doc:"the same, 60 s after the load"`
	Load          Load    `json:"load" doc:"bot API calls with keys drawn at random from all seeded"`
}

const scaleSeed = "bench"

// scaleIdle is how long the scale run leaves serve idle before and after
// its load (shorter in the harness's smoke test).
var scaleIdle = time.Minute

// scaleOutOfWindow is how long after the seed the measured restart begins:
// once the seed is out of the stream's duplicate window (none in the smoke
// test).
var scaleOutOfWindow = events.DuplicateWindow + time.Second

// benchScale measures serve at scale with its broker embedded, then with a
// standalone broker, each over a stream seeded afresh.
func benchScale(chatbots, keysPer, workers int, d time.Duration) (Scale, error) {
	s := Scale{Chatbots: chatbots, Keys: chatbots * keysPer}
	var err error
	if s.Embedded, err = scaleRunOf(chatbots, keysPer, workers, d, false); err != nil {
		return s, fmt.Errorf("broker embedded: %w", err)
	}
	if s.External, err = scaleRunOf(chatbots, keysPer, workers, d, true); err != nil {
		return s, fmt.Errorf("standalone broker: %w", err)
	}
	return s, nil
}

// scaleRunOf seeds chatbots × keys with `chatbotd dev seed`, starts serve
// once (it reads every key and writes the key index's snapshot), then
// measures a restart. The seeded history is not projected: between the two
// starts the projections' checkpoints are moved to the stream's end, so the
// measured process is the steady state, not a read-model catch-up.
func scaleRunOf(chatbots, keysPer, workers int, d time.Duration, standalone bool) (ScaleRun, error) {
	ctx := context.Background()
	var s ScaleRun
	db, err := newBenchDB(ctx)
	if err != nil {
		return s, err
	}
	defer db.Close()
	dir, _ := os.MkdirTemp("", "chatbot-bench-scale")
	defer os.RemoveAll(dir)
	url, _ := withDatabase(adminURL(), db.name)
	env := append(os.Environ(), "DATABASE_URL="+url, "DATA_DIR="+dir, "LOG_LEVEL=error",
		"REDIS_URL="+redisURL(), "TRUSTED_PROXIES=127.0.0.1/32")
	broker, err := scaleBroker(dir, standalone)
	if err != nil {
		return s, err
	}
	defer broker.close()
	env = append(env, broker.env...)

	t0 := time.Now()
	seed := exec.Command(productBin, "dev", "seed", "--chatbots", strconv.Itoa(chatbots), "--keys-per-chatbot", strconv.Itoa(keysPer),
		"--tenants", strconv.Itoa(max(1, chatbots/100)), "--seed", scaleSeed)
	seed.Env = append(env, "NATS_SYNC_INTERVAL=1m") // the seed is one burst; serve keeps the product's default
	if out, err := seed.CombinedOutput(); err != nil {
		return s, fmt.Errorf("dev seed: %v: %s", err, out)
	}
	s.SeedSeconds = time.Since(t0).Seconds()
	seeded := time.Now()

	cold, took, err := startServe(env)
	if err != nil {
		return s, err
	}
	s.ColdReadyS = took.Seconds()
	last, err := waitSnapshot(broker, dir)
	cold.stop()
	if err != nil {
		return s, err
	}
	if _, err := db.Pool.Exec(ctx, "UPDATE projection_checkpoints SET position = $1", int64(last)); err != nil {
		return s, err
	}
	// A start reads back the stream's duplicate window (the last two
	// minutes of writes) to rebuild it. The seed is one burst of a whole
	// history: measured inside the window, the restart would read all of it
	// again, which a history written over months never costs.
	time.Sleep(time.Until(seeded.Add(scaleOutOfWindow)))

	p, took, err := startServe(env)
	if err != nil {
		return s, err
	}
	defer p.stop()
	s.ReadyS, s.RSSReadyMB = took.Seconds(), p.rssMB()
	time.Sleep(scaleIdle)
	s.RSSIdleMB, s.HeapIdleMB, s.BrokerIdleMB = p.rssMB(), readMetrics(p.base).HeapMB, broker.rssMB()
	s.RSSLoadPeakMB, s.Load = scaleLoad(p, chatbots, keysPer, workers, d)
	time.Sleep(scaleIdle)
	s.RSSAfterMB, s.BrokerAfterMB = p.rssMB(), broker.rssMB()
	return s, nil
}

// scaleLoad runs bot API calls with keys drawn at random from all seeded
// and returns them with serve's highest resident set meanwhile.
func scaleLoad(p *serveProcess, chatbots, keysPer, workers int, d time.Duration) (float64, Load) {
	var peak atomic.Int64
	sampling := make(chan struct{})
	go func() {
		for {
			peak.Store(max(peak.Load(), int64(p.rssMB()*1024)))
			select {
			case <-sampling:
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}()
	load := closedLoop(workers, d, func() *http.Request {
		key := devseed.Key(scaleSeed, rand.IntN(chatbots), rand.IntN(max(keysPer, 1)))
		r, _ := http.NewRequest("POST", p.base+"/v1/bot/messages", strings.NewReader(`{"message":"what is the price?"}`))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+key)
		return r
	}, func(r *http.Response) bool { return r.StatusCode == 200 })
	close(sampling)
	return float64(peak.Load()) / 1024, load
}

// serveProcess is one measured `chatbotd serve`.
type serveProcess struct {
	cmd  *exec.Cmd
	base string
}

// startServe starts serve and times it from exec to /readyz 200.
func startServe(env []string) (*serveProcess, time.Duration, error) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(productBin, "serve")
	cmd.Env = append(env, "HTTP_ADDR="+addr)
	began := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, err
	}
	p := &serveProcess{cmd: cmd, base: "http://" + addr}
	for time.Since(began) < 15*time.Minute {
		if res, err := http.Get(p.base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return p, time.Since(began), nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.stop()
	return nil, 0, fmt.Errorf("serve did not become ready")
}

func (p *serveProcess) stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	_ = p.cmd.Wait()
}

// rssMB reads the process's resident set from /proc.
func (p *serveProcess) rssMB() float64 { return rssOf(p.cmd.Process.Pid) }

// rssOf is the resident set of process pid in MB, 0 when it has ended.
func rssOf(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// waitSnapshot waits (a while) until the running serve has stored the key
// index's snapshot and returns the stream's last position. A build without
// the snapshot is measured all the same.
func waitSnapshot(broker *scaleBrokerRun, dir string) (uint64, error) {
	nc, err := broker.connect(dir)
	if err != nil {
		return 0, err
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), scaleIdle)
	defer cancel()
	for ctx.Err() == nil {
		if obs, err := js.ObjectStore(ctx, bot.SnapshotBucket); err == nil {
			if _, err := obs.GetInfo(ctx, bot.SnapshotObject); err == nil {
				break
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	if ctx.Err() != nil {
		log.Printf("  no key index snapshot under %s", dir)
	}
	stream, err := js.Stream(context.Background(), events.StreamName)
	if err != nil {
		return 0, err
	}
	return stream.CachedInfo().State.LastSeq, nil
}
