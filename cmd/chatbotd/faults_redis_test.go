package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// throwawayRedis is a redis-server of the test's own on a free port, which
// it stops and starts again (empty: it keeps nothing on disk).
type throwawayRedis struct {
	t    *testing.T
	port int
	cmd  *exec.Cmd
}

func startThrowawayRedis(t *testing.T) *throwawayRedis {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server is not installed: %v", err)
	}
	_, port, _ := strings.Cut(freeAddr(t), ":")
	r := &throwawayRedis{t: t}
	r.port, err = strconv.Atoi(port)
	if err != nil {
		t.Fatalf("read the free port: %v", err)
	}
	r.start(bin)
	t.Cleanup(r.stop)
	return r
}

func (r *throwawayRedis) start(bin string) {
	r.t.Helper()
	r.cmd = exec.Command(bin, "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", r.t.TempDir())
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	c := r.client()
	defer testkit.Close(r.t, "the Redis client", c)
	waitFor(r.t, "redis-server answers", 10*time.Second, func() bool { return c.Ping(context.Background()).Err() == nil })
}

func (r *throwawayRedis) stop() {
	if r.cmd != nil {
		if err := r.cmd.Process.Kill(); err != nil {
			r.t.Errorf("kill redis-server: %v", err)
		}
		if err := r.cmd.Wait(); !killed(err) {
			r.t.Errorf("redis-server after SIGKILL: %v, want signal: killed", err)
		}
		r.cmd = nil
	}
}

func (r *throwawayRedis) url() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.port) }

func (r *throwawayRedis) client() *redis.Client {
	return redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", r.port)})
}

// TestFaultRedisStoppedUnderReadsAndBotCalls kills Redis under reads and
// bot calls and starts it again, empty. Both keep answering 200 (the
// limits fall back to this process), the product writes to Redis again
// once it is back, and every line chatbotd printed, the client library's
// included, is in LOG_FORMAT.
func TestFaultRedisStoppedUnderReadsAndBotCalls(t *testing.T) {
	rd := startThrowawayRedis(t)
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("find redis-server: %v", err)
	}
	nt := brokerChild(t, "always")
	db := testkit.NewEmptyDatabase(t)
	settings := settingsFor(t, db.URL)
	settings["NATS_URL"], settings["REDIS_URL"], settings["LOG_FORMAT"], settings["LOG_LEVEL"] = nt.URL, rd.url(), "json", "info"
	_, output := startChild(t, settings, "serve")
	c := client{t: t, base: "http://" + settings["HTTP_ADDR"]}
	waitReady(t, c.base, 200, 30*time.Second)
	cid, tok, _ := owner(t, c, "owner@example.com")
	base := "/v1/companies/" + cid + "/chatbots"
	bot := c.do("POST", base, map[string]any{"name": "Helpdesk", "settings": helpdeskSettings}, bearer(tok)...)
	if bot.status != 201 {
		t.Fatalf("create chatbot: %d %s", bot.status, bot.raw)
	}
	key := c.do("POST", base+"/"+bot.str("id")+"/api-keys", map[string]any{"name": "website"}, bearer(tok)...)
	if key.status != 201 {
		t.Fatalf("key: %d %s", key.status, key.raw)
	}
	waitFor(t, "the key works", 10*time.Second, func() bool { return botCall(c, key.str("key"), "price").status == 200 })

	outages := faultCount(1, 5)
	outage := time.Duration(faultCount(3, 10)) * time.Second
	reads := startReadLoad(c.base+base, 2, 20*time.Millisecond, bearer(tok)...)
	// Under the chatbot's default limit (60 a minute), so each call
	// answers 200 whoever counts it: Redis, or this process without it.
	calls := startBotLoad(c.base, key.str("key"), 1, 1100*time.Millisecond)
	written := 0
	for range outages {
		time.Sleep(2 * time.Second)
		rd.stop()
		time.Sleep(outage)
		rd.start(bin)
		rc := rd.client()
		// The new server is empty: a key in it was written since.
		waitFor(t, "chatbotd writes to Redis again", 15*time.Second, func() bool {
			n, err := rc.DBSize(context.Background()).Result()
			return err == nil && n > 0
		})
		written++
		testkit.Close(t, "the Redis client", rc)
	}
	time.Sleep(time.Second)
	sent := append(reads.end(), calls.end()...)

	failures, leaked := 0, 0
	for _, s := range sent {
		if s.leaks() {
			leaked++
		}
		if s.status != 200 {
			failures++
			if failures <= 10 {
				t.Errorf("%d (Retry-After %q) after %v: %s %v", s.status, s.retryAfter, s.took, s.body, s.err)
			}
		}
	}
	outside := linesOutsideJSON(output.String())
	for i, line := range outside {
		if i < 5 {
			t.Errorf("a line outside LOG_FORMAT=json: %q", line)
		}
	}
	failures += len(outside)
	library := strings.Count(output.String(), `"component":"redis-client"`)
	recordFault(t, faultRow{Fault: fmt.Sprintf("Redis killed %v under reads and bot calls", outage), Tries: outages,
		Failures: failures, Leaked: leaked,
		Notes: fmt.Sprintf("%d reads and bot calls; Redis written again after %d of %d restarts; %d client library lines, all in LOG_FORMAT, %d outside", len(sent), written, outages, library, len(outside))})
}

// startBotLoad sends bot calls with key from several workers.
func startBotLoad(base, key string, workers int, pause time.Duration) *readLoad {
	l := &readLoad{stop: make(chan struct{})}
	for w := range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for i := 0; ; i++ {
				select {
				case <-l.stop:
					return
				default:
				}
				r := sentRead{sent: time.Now()}
				r.answer = send("POST", base+"/v1/bot/messages", map[string]string{"message": fmt.Sprintf("price %d-%d", w, i)}, "Authorization", "Bearer "+key)
				l.mu.Lock()
				l.sent = append(l.sent, r)
				l.mu.Unlock()
				time.Sleep(pause)
			}
		}()
	}
	return l
}

// linesOutsideJSON are the lines of out that are not one JSON object.
func linesOutsideJSON(out string) []string {
	var bad []string
	for _, line := range strings.Split(out, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		var v map[string]any
		if json.Unmarshal([]byte(line), &v) != nil {
			bad = append(bad, line)
		}
	}
	return bad
}
