package main

import (
	"fmt"
	"io/fs"
	"net"
	"strings"
	"testing"

	"github.com/chatbotsaas/chatbot/migrations"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

func TestBadSettingsStopWithOneClearLine(t *testing.T) {
	db := testkit.NewEmptyDatabase(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer testkit.Close(t, "the listener holding the port", taken)

	cases := []struct {
		name     string
		set      map[string]string
		mentions string
	}{
		{"a DATABASE_URL that is not postgres", map[string]string{"DATABASE_URL": "mysql://root@localhost/x"}, "DATABASE_URL"},
		{"a DATABASE_URL nobody answers", map[string]string{"DATABASE_URL": "postgres://u:s3cret@127.0.0.1:1/x?sslmode=disable"}, "DATABASE_URL"},
		{"an HTTP_ADDR that is no address", map[string]string{"HTTP_ADDR": "eighty"}, "HTTP_ADDR"},
		{"an HTTP_ADDR already taken", map[string]string{"HTTP_ADDR": taken.Addr().String()}, "HTTP_ADDR"},
		{"a LOG_LEVEL that does not exist", map[string]string{"LOG_LEVEL": "chatty"}, "LOG_LEVEL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			settings := settingsFor(t, db.URL)
			for k, v := range tc.set {
				settings[k] = v
			}
			code, _, stderr := runOnce(settings, "serve")
			if code == 0 {
				t.Fatal("exit code 0")
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if len(lines) != 1 || !strings.Contains(stderr, tc.mentions) {
				t.Fatalf("stderr %q: want one line naming %s", stderr, tc.mentions)
			}
			for _, leak := range []string{"goroutine", "s3cret", ".go:"} {
				if strings.Contains(stderr, leak) {
					t.Errorf("stderr leaks %q: %s", leak, stderr)
				}
			}
		})
	}
}

func TestHelp(t *testing.T) {
	code, out, _ := runOnce(nil, "--help")
	if code != 0 || !strings.Contains(out, "serve") || !strings.Contains(out, "migrate") {
		t.Errorf("--help: %d %s", code, out)
	}
	for _, sub := range []string{"serve", "command", "query", "projector", "migrate"} {
		code, out, _ := runOnce(nil, sub, "--help")
		if code != 0 || !strings.Contains(out, "DATABASE_URL") || !strings.Contains(out, "default:") {
			t.Errorf("%s --help: %d %s", sub, code, out)
		}
	}
	if code, _, stderr := runOnce(nil, "frobnicate"); code != 2 || !strings.Contains(stderr, "unknown command") {
		t.Errorf("unknown command: %d %q", code, stderr)
	}
	if code, out, _ := runOnce(map[string]string{"HTTP_ADDR": "bad"}, "version"); code != 0 || !strings.HasPrefix(out, "chatbotd ") {
		t.Errorf("version: %d %q", code, out)
	}
}

func TestMigrateCommand(t *testing.T) {
	db := testkit.NewEmptyDatabase(t)
	settings := map[string]string{"DATABASE_URL": db.URL}
	ups, err := fs.Glob(migrations.FS, "*.up.sql")
	if err != nil {
		t.Fatalf("list the migrations: %v", err)
	}
	// The highest version and the one before it, whatever the gaps
	// (numbers are taken by features as they start, not as they land).
	latest, previous := 0, 0
	for _, f := range ups {
		var v int
		if _, err := fmt.Sscanf(f, "%d_", &v); err == nil && v > latest {
			latest, previous = v, latest
		} else if err == nil && v > previous {
			previous = v
		}
	}
	version := func(v int) string { return fmt.Sprintf("schema version %d (clean)", v) }
	steps := []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"migrate", "version"}, 0, version(0)},
		{[]string{"migrate", "up"}, 0, version(latest)},
		{[]string{"migrate", "down"}, 0, version(previous)},
		{[]string{"migrate", "up"}, 0, version(latest)},
		{[]string{"migrate", "down", "all"}, 0, version(0)},
		{[]string{"migrate", "force", "1"}, 0, version(1)},
		{[]string{"migrate", "down", "zero"}, 2, ""},
		{[]string{"migrate", "sideways"}, 2, ""},
		{[]string{"migrate"}, 2, ""},
	}
	for _, s := range steps {
		code, out, stderr := runOnce(settings, s.args...)
		if code != s.code || !strings.Contains(out, s.out) {
			t.Errorf("%v: code %d out %q stderr %q; want %d and %q", s.args, code, out, stderr, s.code, s.out)
		}
	}
}

func TestMigrateUpCreatesTheDatabase(t *testing.T) {
	name := testkit.UniqueName(t)
	t.Cleanup(func() { testkit.DropDatabase(t, name) })
	code, out, stderr := runOnce(map[string]string{"DATABASE_URL": testkit.WithDatabase(testkit.AdminURL(), name)}, "migrate", "up")
	if code != 0 || !strings.Contains(out, "(clean)") {
		t.Fatalf("code %d out %q stderr %q", code, out, stderr)
	}
}
