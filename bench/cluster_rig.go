package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/shared/natsx"
)

// The bench binary is also each node of the cluster runs' NATS cluster.
func init() { natsx.ServeNodeIfAsked() }

// usagePartitions is how many partitions the rig's two projectors share
// the usage projection in.
const usagePartitions = 4

// clusterRig is the product split over processes on a 3-node NATS cluster
// at R3, on this host: two each of command, query and projector, one
// database, a Redis of its own (so that its counters are the product's).
type clusterRig struct {
	cl     *natsx.Cluster
	db     *benchDB
	dir    string
	redis  *exec.Cmd
	redisA string
	nc     *nats.Conn
	js     jetstream.JetStream
	procs  map[string][]*exec.Cmd // by kind: command, query, projector
	env    []string               // the processes' settings
	bases  map[string][]string
}

func startClusterRig(ctx context.Context) (*clusterRig, error) {
	r := &clusterRig{procs: map[string][]*exec.Cmd{}, bases: map[string][]string{}}
	var err error
	if r.dir, err = os.MkdirTemp("", "chatbot-bench-cluster"); err != nil {
		return nil, err
	}
	if err := r.start(ctx); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

func (r *clusterRig) start(ctx context.Context) error {
	users, err := natsx.EmbeddedUsers(r.dir, nil)
	if err != nil {
		return err
	}
	if r.cl, err = natsx.StartCluster(natsx.ClusterOptions{Dir: filepath.Join(r.dir, "nats"), Sync: "always", Users: users, Exe: os.Args[0]}); err != nil {
		return err
	}
	if r.nc, err = nats.Connect(r.cl.URL(), nats.UserInfo(users.Service.User, users.Service.Password), nats.CustomInboxPrefix(natsx.ServiceInboxPrefix)); err != nil {
		return err
	}
	if r.js, err = jetstream.New(r.nc); err != nil {
		return err
	}
	if err := r.startRedis(); err != nil {
		return err
	}
	if r.db, err = newBenchDB(ctx); err != nil {
		return err
	}
	url, _ := withDatabase(adminURL(), r.db.name)
	env := append(os.Environ(), "DATABASE_URL="+url, "AUTO_MIGRATE=false", "DATA_DIR="+filepath.Join(r.dir, "data"),
		"NATS_URL="+r.cl.URL(), "NATS_USER="+users.Service.User, "NATS_PASSWORD_FILE="+filepath.Join(r.dir, natsx.ServicePasswordFile),
		"NATS_REPLICAS=3", "USAGE_PARTITIONS="+strconv.Itoa(usagePartitions), "REDIS_URL=redis://"+r.redisA+"/0", "LOG_LEVEL=warn", "TRUSTED_PROXIES=127.0.0.1/32")
	r.env = env
	// One kind after the other: the first command process creates the
	// stream and buckets, and writes the signing key the others read.
	for _, kind := range []string{"command", "command", "query", "query", "projector", "projector"} {
		if err := r.startProcess(kind, env); err != nil {
			return err
		}
	}
	return nil
}

func (r *clusterRig) startRedis() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	r.redisA = ln.Addr().String()
	_ = ln.Close()
	_, port, _ := net.SplitHostPort(r.redisA)
	r.redis = exec.Command("redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	if err := r.redis.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	for range 100 {
		if c, err := net.Dial("tcp", r.redisA); err == nil {
			_ = c.Close()
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("redis-server did not listen on %s", r.redisA)
}

func (r *clusterRig) startProcess(kind string, env []string) error {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(productBin, kind)
	cmd.Env = append(env, "HTTP_ADDR="+addr)
	if path := os.Getenv("BENCH_PRODUCT_LOG"); path != "" {
		if f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err == nil {
			cmd.Stderr, cmd.Stdout = f, f
		}
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s %s (run make build first): %w", productBin, kind, err)
	}
	r.procs[kind] = append(r.procs[kind], cmd)
	base := "http://" + addr
	r.bases[kind] = append(r.bases[kind], base)
	for range 1200 {
		if res, err := http.Get(base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("chatbotd %s did not become ready", kind)
}

// Close stops every process the rig started, each by its own id.
func (r *clusterRig) Close() {
	for _, cmds := range r.procs {
		for _, c := range cmds {
			_ = c.Process.Signal(os.Interrupt)
			_ = c.Wait()
		}
	}
	if r.nc != nil {
		r.nc.Close()
	}
	if r.cl != nil {
		r.cl.Close()
	}
	if r.redis != nil {
		_ = r.redis.Process.Kill()
		_ = r.redis.Wait()
	}
	if r.db != nil {
		r.db.Close()
	}
	_ = os.RemoveAll(r.dir)
}

// pids are the process ids of a kind: command, query, projector, nats.
func (r *clusterRig) pids(kind string) []int {
	var ids []int
	if kind == "nats" {
		for i := range r.cl.Nodes() {
			ids = append(ids, r.cl.Pid(i))
		}
		return ids
	}
	for _, c := range r.procs[kind] {
		ids = append(ids, c.Process.Pid)
	}
	return ids
}

// cpu is the CPU time (user and system) the processes of kind have used.
func (r *clusterRig) cpu(kind string) time.Duration {
	var total time.Duration
	for _, pid := range r.pids(kind) {
		total += processCPU(pid)
	}
	return total
}

// processCPU reads utime and stime from /proc/<pid>/stat.
func processCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name may hold spaces; the fields after it do not.
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticks
}

// alive tells whether every process of the rig still runs.
func (r *clusterRig) alive() error {
	for kind, cmds := range r.procs {
		for _, c := range cmds {
			if err := c.Process.Signal(syscall.Signal(0)); err != nil {
				return fmt.Errorf("chatbotd %s (pid %d) exited", kind, c.Process.Pid)
			}
		}
	}
	return nil
}
