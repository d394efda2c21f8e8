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
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/command/bot"
	"github.com/chatbotsaas/chatbot/command/devseed"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/natsx"
)

// Scale is `serve` over a large seeded stream: start-up and resident memory.
type Scale struct {
	Chatbots      int     `json:"chatbots"`
	Keys          int     `json:"keys"`
	SeedSeconds   float64 `json:"seed_s"`
	ColdReadyS    float64 `json:"cold_ready_s" doc:"first start, no snapshot of the key index yet"`
	ReadyS        float64 `json:"ready_s" doc:"a restart: exec to /readyz 200"`
	RSSReadyMB    float64 `json:"rss_ready_mb"`
	RSSIdleMB     float64 `json:"rss_idle_mb" doc:"60 s after ready, no calls"`
	HeapIdleMB    float64 `json:"heap_idle_mb" doc:"the Go heap in use then (go_memstats_heap_inuse_bytes): what is live, the broker embedded included"`
	RSSLoadPeakMB float64 `json:"rss_load_peak_mb" doc:"highest during the bot API load"`
	RSSAfterMB    float64 `json:"rss_after_mb" doc:"60 s after the load ended"`
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

// benchScale seeds chatbots × keys with `chatbotd dev seed`, starts serve
// once (it reads every key and writes the key index's snapshot), then
// measures a restart. The seeded history is not projected: between the two
// starts the projections' checkpoints are moved to the stream's end, so the
// measured process is the steady state, not a read-model catch-up.
func benchScale(chatbots, keysPer, workers int, d time.Duration) (Scale, error) {
	ctx := context.Background()
	s := Scale{Chatbots: chatbots, Keys: chatbots * keysPer}
	db, err := newBenchDB(ctx)
	if err != nil {
		return s, err
	}
	defer db.Close()
	dir, _ := os.MkdirTemp("", "chatbot-bench-scale")
	defer os.RemoveAll(dir)
	url, _ := withDatabase(adminURL(), db.name)
	env := append(os.Environ(), "DATABASE_URL="+url, "NATS_LISTEN=127.0.0.1:0", "DATA_DIR="+dir, "LOG_LEVEL=error",
		"REDIS_URL="+redisURL(), "TRUSTED_PROXIES=127.0.0.1/32")

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
	last, err := waitSnapshot(dir)
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
	s.RSSIdleMB, s.HeapIdleMB = p.rssMB(), readMetrics(p.base).HeapMB
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
	s.Load = closedLoop(workers, d, func() *http.Request {
		key := devseed.Key(scaleSeed, rand.IntN(chatbots), rand.IntN(max(keysPer, 1)))
		r, _ := http.NewRequest("POST", p.base+"/v1/bot/messages", strings.NewReader(`{"message":"what is the price?"}`))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Authorization", "Bearer "+key)
		return r
	}, func(r *http.Response) bool { return r.StatusCode == 200 })
	close(sampling)
	s.RSSLoadPeakMB = float64(peak.Load()) / 1024
	time.Sleep(scaleIdle)
	s.RSSAfterMB = p.rssMB()
	return s, nil
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
func (p *serveProcess) rssMB() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
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
// index's snapshot, reaching its embedded server through the address it
// announced, and returns the stream's last position. A build without the
// snapshot is measured all the same.
func waitSnapshot(dir string) (uint64, error) {
	pw, err := os.ReadFile(filepath.Join(dir, natsx.ServicePasswordFile))
	if err != nil {
		return 0, err
	}
	nc, err := nats.Connect(natsx.ReadAddrFile(dir), nats.UserInfo(natsx.ServiceUser, strings.TrimSpace(string(pw))),
		nats.CustomInboxPrefix(natsx.ServiceInboxPrefix))
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
