package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chatbotsaas/chatbot/shared/natsx"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

func TestServeBecomesReadyAndStopsCleanly(t *testing.T) {
	db := testkit.NewEmptyDatabase(t)
	settings := settingsFor(t, db.URL)
	started := time.Now()
	p := start(t, settings, "serve")
	r := waitReady(t, "http://"+settings["HTTP_ADDR"], 200, 10*time.Second)
	t.Logf("ready in %v", time.Since(started))
	for _, c := range []string{"postgres", "nats"} {
		if r.Components[c].Status != "up" {
			t.Errorf("%s is %q", c, r.Components[c].Status)
		}
	}
	if r.Components["redis"].Status != "disabled" {
		t.Errorf("redis without REDIS_URL is %q, want disabled", r.Components["redis"].Status)
	}
	if natsx.ReadAddrFile(settings["DATA_DIR"]) == "" {
		t.Errorf("serve did not announce its NATS address under DATA_DIR")
	}
	if code := p.stop(t); code != 0 {
		t.Fatalf("exit code %d; stderr: %s", code, p.stderr.String())
	}
	if _, err := os.Stat(filepath.Join(settings["DATA_DIR"], natsx.AddrFile)); !os.IsNotExist(err) {
		t.Errorf("NATS address file left after shutdown")
	}
}

func TestServeWithRedisReportsIt(t *testing.T) {
	db := testkit.NewEmptyDatabase(t)
	settings := settingsFor(t, db.URL)
	settings["REDIS_URL"] = testkit.RedisURL(t)
	start(t, settings, "serve")
	// Ready answers 200 while the query cache is still "down" (its first
	// ping missed its timeout on a busy machine): wait for "ready" itself.
	deadline := time.Now().Add(10 * time.Second)
	r := waitReady(t, "http://"+settings["HTTP_ADDR"], 200, 10*time.Second)
	for r.Status != "ready" && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		r = waitReady(t, "http://"+settings["HTTP_ADDR"], 200, 10*time.Second)
	}
	if r.Components["redis"].Status != "up" || r.Status != "ready" {
		t.Errorf("got %+v", r)
	}
}

func TestReadinessFollowsPostgresWithoutRestart(t *testing.T) {
	db := testkit.NewEmptyDatabase(t)
	proxy := testkit.NewProxy(t, "127.0.0.1:5432")
	settings := settingsFor(t, strings.Replace(db.URL, "127.0.0.1:5432", proxy.Addr(), 1))
	start(t, settings, "serve")
	base := "http://" + settings["HTTP_ADDR"]
	waitReady(t, base, 200, 10*time.Second)

	proxy.Cut()
	r := waitReady(t, base, 503, 5*time.Second)
	if r.Components["postgres"].Status != "down" || r.Components["nats"].Status != "up" {
		t.Errorf("while Postgres is away: %+v", r)
	}

	proxy.Restore()
	waitReady(t, base, 200, 10*time.Second)
}

func TestBinaryStopsOnSIGINTWithExitZero(t *testing.T) {
	db := testkit.NewEmptyDatabase(t)
	settings := settingsFor(t, db.URL)
	settings["LOG_LEVEL"] = "info"
	cmd, out := startChild(t, settings, "serve")
	waitReady(t, "http://"+settings["HTTP_ADDR"], 200, 15*time.Second)

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v; output:\n%s", err, out.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("still running 20s after SIGINT; output:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "stopped") {
		t.Errorf("no shutdown line in the log:\n%s", out.String())
	}
}

func TestSplitProcessesShareOneEmbeddedServer(t *testing.T) {
	db := testkit.NewEmptyDatabase(t)
	first := settingsFor(t, db.URL)
	start(t, first, "command")
	waitReady(t, "http://"+first["HTTP_ADDR"], 200, 10*time.Second)
	announced := natsx.ReadAddrFile(first["DATA_DIR"])
	if announced == "" {
		t.Fatal("the first process did not announce its NATS server")
	}

	second := settingsFor(t, db.URL)
	second["DATA_DIR"] = first["DATA_DIR"]
	second["NATS_LISTEN"] = freeAddr(t) // would be used only if it started its own
	start(t, second, "query")
	waitReady(t, "http://"+second["HTTP_ADDR"], 200, 10*time.Second)
	if got := natsx.ReadAddrFile(first["DATA_DIR"]); got != announced {
		t.Errorf("the second process replaced the server: %q, was %q", got, announced)
	}

	third := settingsFor(t, db.URL)
	third["DATA_DIR"] = first["DATA_DIR"]
	start(t, third, "projector")
	waitReady(t, "http://"+third["HTTP_ADDR"], 200, 10*time.Second)
}

// The write side appends to the stream and holds no database: `chatbotd
// command` with a DATABASE_URL nothing answers at is ready, reports no
// Postgres component, and takes a signup and a login.
func TestTheCommandProcessNeedsNoDatabase(t *testing.T) {
	settings := settingsFor(t, "postgres://postgres@"+freeAddr(t)+"/nothing?sslmode=disable&connect_timeout=1")
	start(t, settings, "command")
	c := client{t: t, base: "http://" + settings["HTTP_ADDR"]}
	r := waitReady(t, c.base, 200, 15*time.Second)
	if _, ok := r.Components["postgres"]; ok || r.Components["nats"].Status != "up" {
		t.Fatalf("the command process's readiness: %+v", r)
	}
	c.signup("ada@example.com")
	if l := c.login("ada@example.com", "correct horse battery"); l.status != 200 {
		t.Fatalf("login on the command process alone: %d %s", l.status, l.raw)
	}
}
