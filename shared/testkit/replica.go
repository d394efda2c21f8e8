package testkit

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresPair is a throwaway Postgres primary and a streaming replica of
// it, each a cluster of its own on a loopback port, made for one test with
// initdb and pg_basebackup and stopped after it. The machine's shared
// server is left alone (it may not allow replication).
type PostgresPair struct {
	PrimaryURL string // of database postgres on the primary
	ReplicaURL string // the same on the replica
	dir        string
}

// StartPostgresPair starts a primary and its replica.
func StartPostgresPair(tb testing.TB) *PostgresPair {
	tb.Helper()
	bin, err := pgBinDir()
	if err != nil {
		tb.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "pgpair")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = os.RemoveAll(dir) })
	owner := ownDir(tb, dir)
	run := func(name string, args ...string) {
		tb.Helper()
		cmd := exec.Command(filepath.Join(bin, name), args...)
		if owner != "" { // Postgres refuses to run as root
			cmd = exec.Command("runuser", append([]string{"-u", owner, "--", filepath.Join(bin, name)}, args...)...)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			tb.Fatalf("%s %v: %v\n%s", name, args, err, out)
		}
	}
	primary, replica := filepath.Join(dir, "primary"), filepath.Join(dir, "replica")
	pport, rport := freePort(tb), freePort(tb)
	run("initdb", "-D", primary, "-U", "postgres", "-A", "trust", "--no-sync", "--no-instructions")
	opts := func(port int) string {
		return fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -k %s -c fsync=off -c wal_level=replica -c max_wal_senders=4 -c shared_buffers=16MB", port, dir)
	}
	run("pg_ctl", "-D", primary, "-o", opts(pport), "-l", filepath.Join(dir, "primary.log"), "-w", "start")
	tb.Cleanup(func() { run("pg_ctl", "-D", primary, "-m", "immediate", "-w", "stop") })
	run("pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(pport), "-U", "postgres", "-D", replica, "-R", "-X", "stream", "--no-sync")
	run("pg_ctl", "-D", replica, "-o", opts(rport)+" -c hot_standby=on", "-l", filepath.Join(dir, "replica.log"), "-w", "start")
	tb.Cleanup(func() { run("pg_ctl", "-D", replica, "-m", "immediate", "-w", "stop") })
	url := func(port int) string {
		return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	}
	return &PostgresPair{PrimaryURL: url(pport), ReplicaURL: url(rport), dir: dir}
}

// PauseReplay stops the replica applying the primary's WAL; ResumeReplay
// lets it go on. The replica keeps answering reads meanwhile, with the
// state it had.
func (p *PostgresPair) PauseReplay(tb testing.TB)  { p.onReplica(tb, "SELECT pg_wal_replay_pause()") }
func (p *PostgresPair) ResumeReplay(tb testing.TB) { p.onReplica(tb, "SELECT pg_wal_replay_resume()") }

func (p *PostgresPair) onReplica(tb testing.TB, sql string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, p.ReplicaURL)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
}

// ownDir hands dir to the postgres user when running as root, and says
// which user to run the server as ("" for this one).
func ownDir(tb testing.TB, dir string) string {
	tb.Helper()
	if os.Geteuid() != 0 {
		return ""
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		tb.Fatalf("running as root, and no postgres user to run a Postgres cluster as: %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		tb.Fatal(err)
	}
	return u.Username
}
