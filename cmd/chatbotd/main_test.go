package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/chatbotsaas/chatbot/shared/natsx"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// TestMain removes the child binary the tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if child.path != "" {
		if err := os.RemoveAll(filepath.Dir(child.path)); err != nil {
			fmt.Fprintf(os.Stderr, "remove the child binary: %v\n", err)
			code = max(code, 1)
		}
	}
	os.Exit(code)
}

// syncBuffer collects output written from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// process is chatbotd run in-process with its own settings.
type process struct {
	settings map[string]string
	stdin    string
	stdout   syncBuffer
	stderr   syncBuffer
	cancel   context.CancelFunc
	exit     chan int
}

func (p *process) env() env {
	return env{
		lookup: func(k string) (string, bool) { v, ok := p.settings[k]; return v, ok },
		stdin:  strings.NewReader(p.stdin),
		stdout: &p.stdout, stderr: &p.stderr,
		testBcryptCost: 4,
	}
}

// start runs chatbotd with args until stop.
func start(t *testing.T, settings map[string]string, args ...string) *process {
	t.Helper()
	p := &process{settings: settings, exit: make(chan int, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel = cancel
	go func() { p.exit <- run(ctx, args, p.env()) }()
	t.Cleanup(func() { p.stop(t) })
	return p
}

// stop cancels the run as SIGINT would and returns its exit code.
func (p *process) stop(t *testing.T) int {
	t.Helper()
	p.cancel()
	select {
	case code := <-p.exit:
		p.exit <- code
		return code
	case <-time.After(20 * time.Second):
		t.Fatalf("chatbotd did not stop within 20s; output:\n%s", p.stdout.String())
		return -1
	}
}

// runOnce runs a command that ends by itself.
func runOnce(settings map[string]string, args ...string) (code int, stdout, stderr string) {
	return runWithInput(settings, "", args...)
}

// runWithInput runs a command that ends by itself, with stdin as its input.
func runWithInput(settings map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	p := &process{settings: settings, stdin: stdin}
	code = run(context.Background(), args, p.env())
	return code, p.stdout.String(), p.stderr.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer testkit.Close(t, "the listener", ln)
	return ln.Addr().String()
}

// settingsFor runs on databaseURL with a free HTTP port, an embedded NATS
// server on a random port and a private DATA_DIR.
func settingsFor(t *testing.T, databaseURL string) map[string]string {
	return map[string]string{
		"DATABASE_URL": databaseURL,
		"HTTP_ADDR":    freeAddr(t),
		"NATS_LISTEN":  "127.0.0.1:0",
		"DATA_DIR":     t.TempDir(),
		"LOG_LEVEL":    "warn",
	}
}

type readiness struct {
	Status     string `json:"status"`
	Components map[string]struct {
		Status string `json:"status"`
	} `json:"components"`
}

// getReady asks /readyz once; code 0 is a server not listening (yet).
func getReady(base string) (int, readiness, error) {
	var r readiness
	res, err := http.Get(base + "/readyz")
	if err != nil {
		return 0, r, err
	}
	err = json.NewDecoder(res.Body).Decode(&r)
	if cerr := res.Body.Close(); err == nil {
		err = cerr
	}
	return res.StatusCode, r, err
}

// waitReady polls /readyz until it answers want or the time runs out.
func waitReady(t *testing.T, base string, want int, within time.Duration) readiness {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		code, r, err := getReady(base)
		if code == want && err == nil {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz = %d %+v (%v), want %d within %v", code, r, err, want, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// child is the chatbotd binary the tests run as processes of their own,
// built once per test run without the race detector: the processes that
// tests kill, fail over and load are timed by catch-up and takeover
// bounds, and race instrumentation makes each several times slower. The
// in-process tests (start) keep the race detector on the same code.
var child struct {
	once sync.Once
	path string
	err  error
}

func childBinary(t *testing.T) string {
	t.Helper()
	child.once.Do(func() {
		dir, err := os.MkdirTemp("", "chatbotd-test-")
		if err != nil {
			child.err = err
			return
		}
		child.path = filepath.Join(dir, "chatbotd")
		build := exec.Command("go", "build", "-o", child.path, ".")
		if out, err := build.CombinedOutput(); err != nil {
			child.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if child.err != nil {
		t.Fatal(child.err)
	}
	return child.path
}

// brokerChild runs `chatbotd nats` as a process of its own for a test
// whose chatbotd processes are children too: the broker then runs at the
// speed it has in production, not under the race detector of the test
// binary that would otherwise embed it. sync is NATS_SYNC_INTERVAL.
func brokerChild(t *testing.T, sync string) *testkit.NATS {
	t.Helper()
	dir := t.TempDir()
	startChild(t, map[string]string{"DATA_DIR": dir, "NATS_LISTEN": "127.0.0.1:0", "NATS_SYNC_INTERVAL": sync, "LOG_LEVEL": "warn"}, "nats")
	var addr string
	for deadline := time.Now().Add(15 * time.Second); addr == ""; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("chatbotd nats wrote no address within 15 s")
		}
		addr = natsx.ReadAddrFile(dir)
	}
	users, err := natsx.EmbeddedUsers(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(addr)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(users.Service.User, users.Service.Password)
	nc, err := nats.Connect(u.String(), nats.CustomInboxPrefix(natsx.ServiceInboxPrefix))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return &testkit.NATS{Conn: nc, URL: u.String(), Addr: u.Host}
}

// runChild runs chatbotd args... as a process of its own to its end, for
// the long commands (a verify replays whole read models) that the race
// detector slows several times in-process.
func runChild(t *testing.T, settings map[string]string, args ...string) (code int, output string) {
	t.Helper()
	cmd := exec.Command(childBinary(t), args...)
	cmd.Env = os.Environ()
	for k, v := range settings {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("chatbotd %s: %v", strings.Join(args, " "), err)
	}
	return cmd.ProcessState.ExitCode(), string(out)
}

// startChild runs chatbotd args... in a process of its own, so a test can
// signal or SIGKILL it; it is killed at the end of the test, and what it
// printed is logged when the test failed.
func startChild(t *testing.T, settings map[string]string, args ...string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(childBinary(t), args...)
	cmd.Env = os.Environ()
	for k, v := range settings {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// A process the test reaped is left alone; one that ended by
		// itself is reaped with whatever status it exited with.
		if cmd.ProcessState == nil {
			if err := cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
				t.Errorf("kill chatbotd %s: %v", strings.Join(args, " "), err)
			}
			var exit *exec.ExitError
			if err := cmd.Wait(); err != nil && !errors.As(err, &exit) {
				t.Errorf("reap chatbotd %s: %v", strings.Join(args, " "), err)
			}
		}
		if t.Failed() {
			t.Logf("chatbotd %s (pid %d):\n%s", strings.Join(args, " "), cmd.Process.Pid, out.String())
		}
	})
	return cmd, out
}
