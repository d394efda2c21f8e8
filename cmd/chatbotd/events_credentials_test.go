package main

import (
	"bufio"
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
)

// natsCLI finds the stock nats CLI. CI installs it and sets
// NATS_CLI_REQUIRED=1, so that a missing binary fails there instead of
// skipping.
func natsCLI(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("nats")
	if err != nil {
		if os.Getenv("NATS_CLI_REQUIRED") == "1" {
			t.Fatal("the nats CLI is not on PATH (go install github.com/nats-io/natscli/nats@v0.5.0)")
		}
		t.Skip("the nats CLI is not on PATH; install it with go install github.com/nats-io/natscli/nats@v0.5.0")
	}
	return path
}

// auditCLI runs the nats CLI with the flags of `chatbotd events credentials`.
type auditCLI struct {
	t     *testing.T
	bin   string
	flags []string
}

func (a auditCLI) run(args ...string) (string, error) {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, a.bin, append(append(append([]string{}, a.flags...), "--timeout", "2s", "--no-context"), args...)...)
	cmd.Env = append(os.Environ(), "HOME="+a.t.TempDir()) // no saved context of the machine
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestTheStockNATSCLIIsAnAuditConsumerOnly(t *testing.T) {
	bin := natsCLI(t)
	c, settings := startIdentity(t)
	su := c.signup("ada@example.com")
	js := streamOf(t, settings)
	ctx := context.Background()
	count := func() uint64 {
		t.Helper()
		st, err := js.Stream(ctx, events.StreamName)
		if err != nil {
			t.Fatalf("EVENTS: %v", err)
		}
		return st.CachedInfo().State.Msgs
	}

	code, out, stderr := runOnce(settings, "events", "credentials")
	if code != 0 || strings.Count(out, "\n") != 1 {
		t.Fatalf("events credentials: %d %q %s", code, out, stderr)
	}
	flags := strings.Fields(out)
	if flags[0] != "--server" || !strings.Contains(out, "--user audit --password ") {
		t.Fatalf("events credentials printed %q", out)
	}
	audit := auditCLI{t: t, bin: bin, flags: flags}
	anonymous := auditCLI{t: t, bin: bin, flags: flags[:2]}

	if out, err := anonymous.run("stream", "info", "EVENTS"); err == nil {
		t.Errorf("anonymous stream info succeeded: %s", out)
	}
	if out, err := audit.run("stream", "info", "EVENTS"); err != nil {
		t.Fatalf("stream info: %v %s", err, out)
	}

	t.Run("sub events.> sees a login", func(t *testing.T) {
		sub := exec.Command(bin, append(append([]string{}, flags...), "--no-context", "sub", "events.>", "--count", "1")...)
		sub.Env = append(os.Environ(), "HOME="+t.TempDir())
		stdout, err := sub.StdoutPipe()
		if err != nil {
			t.Fatalf("pipe the output of nats sub: %v", err)
		}
		sub.Stderr = sub.Stdout
		if err := sub.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() {
			// Once nats sub has seen its message and been waited for, it is gone.
			if err := sub.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
				t.Errorf("kill nats sub: %v", err)
			}
		}()
		lines := bufio.NewScanner(stdout)
		for lines.Scan() && !strings.Contains(lines.Text(), "Subscribing on") {
		}
		// A login appends events (SessionStarted, LoginSucceeded).
		if r := c.login("ada@example.com", "correct horse battery"); r.status != 200 {
			t.Fatalf("login: %d %s", r.status, r.raw)
		}
		var seen strings.Builder
		for lines.Scan() {
			seen.WriteString(lines.Text() + "\n")
		}
		if err := sub.Wait(); err != nil || !strings.Contains(seen.String(), `Received on "events.`) {
			t.Fatalf("nats sub: %v\n%s", err, seen.String())
		}
	})

	t.Run("gets and an ordered consumer", func(t *testing.T) {
		// The first event's position (a task's schedule may come before it).
		first, err := js.Stream(ctx, events.StreamName)
		if err != nil {
			t.Fatal(err)
		}
		msg, err := first.GetMsg(ctx, 1, jetstream.WithGetMsgSubject(events.AllFilter))
		if err != nil {
			t.Fatal(err)
		}
		if out, err := audit.run("stream", "get", "EVENTS", strconv.FormatUint(msg.Sequence, 10)); err != nil || !strings.Contains(out, "events.") {
			t.Fatalf("stream get: %v %s", err, out)
		}
		if out, err := audit.run("sub", "--stream", "EVENTS", "events.>", "--all", "--count", "1"); err != nil || !strings.Contains(out, "subject: events.") {
			t.Fatalf("sub --stream: %v %s", err, out)
		}
	})

	t.Run("a durable consumer of its own", func(t *testing.T) {
		if out, err := audit.run("consumer", "add", "EVENTS", "audit_ci", "--pull", "--deliver", "all", "--ack", "explicit",
			"--filter", "events.>", "--defaults"); err != nil {
			t.Fatalf("consumer add: %v %s", err, out)
		}
		if out, err := audit.run("consumer", "next", "EVENTS", "audit_ci", "--count", "1"); err != nil || !strings.Contains(out, "events.") {
			t.Fatalf("consumer next: %v %s", err, out)
		}
		if out, err := audit.run("consumer", "rm", "EVENTS", "audit_ci", "-f"); err != nil {
			t.Fatalf("consumer rm: %v %s", err, out)
		}
	})

	before := count()
	t.Run("publishing into EVENTS changes nothing", func(t *testing.T) {
		subject := "events.platform.user." + su.str("user_id") + ".UserRoleChanged"
		for _, pub := range [][]string{{subject, `{"role":"admin"}`}, {"timers.due.unlock.x.y", ""}} {
			// The server drops the message; the CLI may say so and exit
			// non-zero, and must at least have run.
			var exit *exec.ExitError
			if out, err := audit.run(append([]string{"pub"}, pub...)...); err != nil && !errors.As(err, &exit) {
				t.Errorf("nats pub %s: %v %s", pub[0], err, out)
			}
		}
	})
	t.Run("refused", func(t *testing.T) {
		for _, args := range [][]string{
			{"stream", "purge", "EVENTS", "-f"},
			{"stream", "rm", "EVENTS", "-f"},
			{"kv", "get", "CREDENTIALS", su.str("user_id")},
			{"consumer", "rm", "EVENTS", "users", "-f"},
		} {
			t.Run(strings.Join(args[:2], " "), func(t *testing.T) {
				t.Parallel() // each waits for its refused request to time out
				if out, err := audit.run(args...); err == nil || !strings.Contains(out, "Permissions Violation") {
					t.Errorf("nats %s: %v, want a permissions violation: %s", strings.Join(args, " "), err, out)
				}
			})
		}
	})
	if after := count(); after != before {
		t.Errorf("EVENTS went from %d to %d messages", before, after)
	}
	if _, err := js.Consumer(ctx, events.StreamName, "users"); err != nil {
		t.Errorf("the users projection's consumer: %v", err)
	}
}

func TestEventsCredentialsNeedsTheEmbeddedServer(t *testing.T) {
	dir := t.TempDir()
	code, _, stderr := runOnce(map[string]string{"NATS_URL": "nats://nats:4222", "DATA_DIR": dir}, "events", "credentials")
	if code != 1 || !strings.Contains(stderr, "NATS_URL") {
		t.Errorf("with NATS_URL: %d %s", code, stderr)
	}
	code, _, stderr = runOnce(map[string]string{"NATS_LISTEN": "127.0.0.1:0", "DATA_DIR": dir}, "events", "credentials")
	if code != 1 || !strings.Contains(stderr, "chatbotd serve") {
		t.Errorf("with no server and a random port: %d %s", code, stderr)
	}
	code, out, _ := runOnce(map[string]string{"NATS_LISTEN": "127.0.0.1:4299", "DATA_DIR": dir}, "events", "credentials")
	if code != 0 || !strings.HasPrefix(out, "--server nats://127.0.0.1:4299 --user audit --password ") {
		t.Errorf("before serve starts: %d %q", code, out)
	}
	if code, _, _ := runOnce(map[string]string{"DATA_DIR": dir}, "events", "nonsense"); code != 2 {
		t.Errorf("unknown verb: exit %d, want 2", code)
	}
}
