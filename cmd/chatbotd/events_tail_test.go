package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/config"
	"github.com/chatbotsaas/chatbot/shared/natsx"
	"github.com/chatbotsaas/chatbot/shared/pii"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// tailServer is an embedded NATS server whose EVENTS stream the event
// store writes, sealing personal fields as the product does.
type tailServer struct {
	url    string
	js     jetstream.JetStream
	store  *eventstore.Store
	stream jetstream.Stream
	n      int
}

func newTailServer(t *testing.T) *tailServer {
	t.Helper()
	n := testkit.StartNATS(t)
	js, err := jetstream.New(n.Conn)
	if err != nil {
		t.Fatalf("connect JetStream: %v", err)
	}
	ctx := context.Background()
	kek := make([]byte, 32)
	if _, err := rand.Read(kek); err != nil {
		t.Fatalf("draw random bytes: %v", err)
	}
	vault, err := pii.Open(ctx, js, kek, 1)
	if err != nil {
		t.Fatal(err)
	}
	store, err := eventstore.Open(ctx, js, eventstore.Options{Vault: vault})
	if err != nil {
		t.Fatal(err)
	}
	stream, err := js.Stream(ctx, events.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	return &tailServer{url: n.URL, js: js, store: store, stream: stream}
}

// register appends a UserRegistered with an email in clear; the store
// seals it.
func (s *tailServer) register(t *testing.T, tenant, email string) uint64 {
	t.Helper()
	s.n++
	id := fmt.Sprintf("u%d", s.n)
	ap, err := s.store.Record(context.Background(), eventstore.Ref{Tenant: tenant, Type: events.AggregateUser, ID: id}, "register-"+id,
		events.Event{Type: events.UserRegistered, Data: events.UserRegisteredData{Email: email, Name: "Ann", Role: "member"}})
	if err != nil {
		t.Fatal(err)
	}
	return ap.Position
}

func (s *tailServer) consumers(t *testing.T) int {
	t.Helper()
	info, err := s.stream.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Consumers
}

func (s *tailServer) settings(t *testing.T) map[string]string {
	return map[string]string{"NATS_URL": s.url, "DATA_DIR": t.TempDir(), "LOG_LEVEL": "warn"}
}

func TestEventsTailPrintsEnvelopesWithPositionsSealed(t *testing.T) {
	s := newTailServer(t)
	p1 := s.register(t, "acme", "ann@example.com")
	p2 := s.register(t, "globex", "bob@example.com")
	p3 := s.register(t, "acme", "cy@example.com")
	before := s.consumers(t)

	code, out, stderr := runOnce(s.settings(t), "events", "tail")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(lines), out)
	}
	for i, want := range []uint64{p1, p2, p3} {
		var got struct {
			Position uint64 `json:"position"`
			events.Envelope
			Data events.UserRegisteredData `json:"data"`
		}
		if err := json.Unmarshal([]byte(lines[i]), &got); err != nil {
			t.Fatalf("line %d is not JSON: %v", i, err)
		}
		if got.Position != want || got.Type != events.UserRegistered {
			t.Errorf("line %d: position %d type %q, want %d UserRegistered", i, got.Position, got.Type, want)
		}
		if !pii.Sealed(got.Data.Email) || !pii.Sealed(got.Data.Name) {
			t.Errorf("line %d: personal fields not sealed: %+v", i, got.Data)
		}
	}
	if strings.Contains(out, "@example.com") || strings.Contains(out, "Ann") {
		t.Errorf("personal data in clear:\n%s", out)
	}
	if after := s.consumers(t); after != before {
		t.Errorf("consumers: %d after the tail, %d before", after, before)
	}

	code, out, _ = runOnce(s.settings(t), "events", "tail", "--tenant", "acme", "--format", "text", "--from-position", fmt.Sprint(p2))
	want := fmt.Sprintf("%d ", p3)
	if code != 0 || !strings.HasPrefix(out, want) || strings.Count(out, "\n") != 1 || !strings.Contains(out, "UserRegistered tenant=acme user/") {
		t.Errorf("text from %d in acme: exit %d\n%s", p2, code, out)
	}
}

func TestEventsTailFlagMistakesExitTwo(t *testing.T) {
	cases := [][]string{
		{"events"},
		{"events", "grep"},
		{"events", "tail", "extra"},
		{"events", "tail", "--since", "yesterday"},
		{"events", "tail", "--since", "1h", "--from-position", "3"},
		{"events", "tail", "--from-position", "0"},
		{"events", "tail", "--type", "NoSuchEvent"},
		{"events", "tail", "--type", ","},
		{"events", "tail", "--subject", "timers.>"},
		{"events", "tail", "--subject", "events.>", "--tenant", "acme"},
		{"events", "tail", "--tenant", "a.b"},
		{"events", "tail", "--format", "xml"},
	}
	for _, args := range cases {
		code, out, stderr := runOnce(map[string]string{"DATA_DIR": t.TempDir()}, args...)
		if code != 2 || out != "" || !strings.Contains(stderr, "usage: chatbotd events") {
			t.Errorf("%v: exit %d stdout %q stderr %q; want 2 and a usage line", args, code, out, stderr)
		}
	}
}

// The built binary follows the stream, sees an event appended meanwhile,
// and exits 0 on SIGINT, leaving no consumer behind.
func TestEventsTailFollowBinaryExitsZeroOnSIGINT(t *testing.T) {
	s := newTailServer(t)
	first := s.register(t, "acme", "ann@example.com")
	before := s.consumers(t)

	cmd := exec.Command(childBinary(t), "events", "tail", "--follow", "--format", "text")
	cmd.Env = os.Environ()
	for k, v := range s.settings(t) {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		// The tail is waited for below once it has stopped: then it is gone.
		if err := cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
			t.Errorf("kill the tail: %v", err)
		}
	}()
	lines := make(chan string, 10)
	go readLines(stdout, lines)

	if line := nextLine(t, lines); !strings.HasPrefix(line, fmt.Sprintf("%d ", first)) {
		t.Fatalf("first line %q, want position %d", line, first)
	}
	next := s.register(t, "acme", "bob@example.com")
	if line := nextLine(t, lines); !strings.HasPrefix(line, fmt.Sprintf("%d ", next)) {
		t.Fatalf("next line %q, want position %d", line, next)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("still running 20s after SIGINT; stderr:\n%s", stderr.String())
	}
	if after := s.consumers(t); after != before {
		t.Errorf("consumers: %d after the tail, %d before", after, before)
	}
}

func readLines(r io.Reader, lines chan<- string) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		lines <- sc.Text()
	}
	close(lines)
}

func nextLine(t *testing.T, lines <-chan string) string {
	t.Helper()
	select {
	case line, ok := <-lines:
		if !ok {
			t.Fatal("the tail ended")
		}
		return line
	case <-time.After(15 * time.Second):
		t.Fatal("no line within 15s")
	}
	return ""
}

// Against a running serve, tail reads as the read-only audit user, and
// that user's rights are enough for it: filters, positions, its consumer
// made and removed.
func TestEventsTailReadsARunningServeAsTheAuditUser(t *testing.T) {
	c, settings := startIdentity(t)
	if _, _, pos := owner(t, c, "owner@example.com"); pos == "" {
		t.Fatal("signup answered no position")
	}
	tailSettings := map[string]string{"DATA_DIR": settings["DATA_DIR"], "LOG_LEVEL": "warn"}
	cfg, err := config.Load(func(k string) (string, bool) { v, ok := tailSettings[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	rt, err := openStreamReader(env{stderr: io.Discard}, cfg, "events tail")
	if err != nil {
		t.Fatal(err)
	}
	user := rt.nc.Opts.User
	rt.close()
	if user != natsx.AuditUser {
		t.Fatalf("tail connected as %q, want the audit user %q", user, natsx.AuditUser)
	}

	code, out, stderr := runOnce(tailSettings, "events", "tail", "--type", "UserRegistered,CompanyRegistered", "--format", "text")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, " UserRegistered ") || !strings.Contains(out, " CompanyRegistered ") {
		t.Errorf("the signup's events are missing:\n%s", out)
	}
}
