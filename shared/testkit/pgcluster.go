package testkit

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// PGCluster is a Postgres cluster of a test's own, made with initdb and
// run with pg_ctl on a free loopback port, so the test can stop and start
// it without touching the shared server.
type PGCluster struct {
	tb   testing.TB
	bin  string
	dir  string
	Port int
	as   *syscall.Credential // the postgres user, when the test runs as root
}

// pgBinDir finds initdb: PG_BIN_DIR, else the newest /usr/lib/postgresql/*/bin.
func pgBinDir() (string, error) {
	if d := os.Getenv("PG_BIN_DIR"); d != "" {
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Strings(dirs)
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i], nil
		}
	}
	return "", fmt.Errorf("no initdb found; install PostgreSQL's server binaries or set PG_BIN_DIR")
}

// StartPGCluster makes and starts a cluster that trusts local clients as
// user postgres; it is removed when the test ends.
func StartPGCluster(tb testing.TB) *PGCluster {
	tb.Helper()
	bin, err := pgBinDir()
	if err != nil {
		tb.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "pgcluster")
	if err != nil {
		tb.Fatal(err)
	}
	c := &PGCluster{tb: tb, bin: bin, dir: dir, Port: freePort(tb)}
	tb.Cleanup(func() {
		_ = c.pgctl("stop", "-m", "immediate")
		_ = os.RemoveAll(dir)
	})
	if os.Geteuid() == 0 { // initdb refuses to run as root
		u, err := user.Lookup("postgres")
		if err != nil {
			tb.Fatalf("running as root, a cluster needs the postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.as = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			tb.Fatal(err)
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := c.run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"); err != nil {
		tb.Fatalf("initdb: %v\n%s", err, out)
	}
	c.Start()
	return c
}

// URL is a connection URL to database name on the cluster.
func (c *PGCluster) URL(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", c.Port, name)
}

// Start starts the cluster and waits until it takes connections.
func (c *PGCluster) Start() {
	c.tb.Helper()
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -c port=%d -c unix_socket_directories=%s -c fsync=off -c max_connections=200",
		c.Port, c.dir)
	if err := c.pgctl("start", "-w", "-t", "60", "-o", opts); err != nil {
		c.tb.Fatalf("pg_ctl start: %v", err)
	}
}

// Stop stops the cluster at once, as a crash would (pg_ctl -m immediate):
// open connections break, new ones are refused.
func (c *PGCluster) Stop() {
	c.tb.Helper()
	if err := c.pgctl("stop", "-w", "-m", "immediate"); err != nil {
		c.tb.Fatalf("pg_ctl stop: %v", err)
	}
}

func (c *PGCluster) pgctl(args ...string) error {
	all := append([]string{"-D", filepath.Join(c.dir, "data"), "-l", filepath.Join(c.dir, "log")}, args...)
	out, err := c.run("pg_ctl", all...)
	if err != nil {
		return fmt.Errorf("%v: %s", err, out)
	}
	return nil
}

func (c *PGCluster) run(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	if c.as != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.as}
	}
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
		return out, err
	case <-time.After(90 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		return out, fmt.Errorf("%s did not finish within 90s", name)
	}
}

func freePort(tb testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
