package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/projector"
)

// OpCost is what one operation costs on the cluster rig, measured over a
// closed loop of that operation alone.
type OpCost struct {
	Op    string  `json:"op"`
	Route string  `json:"route"`
	Ops   int     `json:"ops"`
	Rate  float64 `json:"rate_per_s"`
	P99ms float64 `json:"p99_ms"`
	// CPU milliseconds per operation, by process kind: command, query,
	// projector (applying the events it appended), nats (all three
	// nodes), redis.
	CPUms       map[string]float64 `json:"cpu_ms"`
	Events      float64            `json:"events" doc:"events appended to EVENTS per operation"`
	StreamBytes float64            `json:"stream_bytes" doc:"EVENTS bytes per operation, one replica"`
	Fsyncs      float64            `json:"fsyncs" doc:"fsync and fdatasync calls per operation, all three nodes"`
	RedisCmds   float64            `json:"redis_commands"`
}

// costSnapshot is the counters an OpCost is the difference of.
type costSnapshot struct {
	cpu       map[string]time.Duration
	msgs      uint64
	bytes     uint64
	redisCmds float64
}

var costKinds = []string{"command", "query", "projector", "nats", "redis"}

func (r *clusterRig) snapshot(ctx context.Context) (costSnapshot, error) {
	s := costSnapshot{cpu: map[string]time.Duration{}}
	stream, err := r.js.Stream(ctx, events.StreamName)
	if err != nil {
		return s, err
	}
	s.msgs, s.bytes = stream.CachedInfo().State.Msgs, stream.CachedInfo().State.Bytes
	info, err := redisInfo(r.redisA)
	if err != nil {
		return s, err
	}
	for _, k := range costKinds {
		if k == "redis" {
			s.cpu[k] = time.Duration((info["used_cpu_user"] + info["used_cpu_sys"]) * float64(time.Second))
			continue
		}
		s.cpu[k] = r.cpu(k)
	}
	s.redisCmds = info["total_commands_processed"]
	return s, nil
}

// measureOp runs op alone from workers for d, waits until the projectors
// have applied what it appended, and divides what the counters moved by
// the operations done; then counts fsyncs over a shorter run under strace.
func (r *clusterRig) measureOp(ctx context.Context, s *clusterSession, op string, workers int, d time.Duration) (OpCost, error) {
	route := clusterRoutes[op]
	before, err := r.snapshot(ctx)
	if err != nil {
		return OpCost{}, err
	}
	load := r.closedRoute(s, route, workers, d)
	if load.Requests == 0 || load.Errors*100 > load.Requests {
		return OpCost{}, fmt.Errorf("%s: %d operations succeeded and %d failed: a cost over failures would be wrong", op, load.Requests, load.Errors)
	}
	if err := r.waitProjected(ctx); err != nil {
		return OpCost{}, err
	}
	after, err := r.snapshot(ctx)
	if err != nil {
		return OpCost{}, err
	}
	n := float64(load.Requests)
	c := OpCost{Op: op, Route: route.name, Ops: load.Requests, Rate: load.Rate, P99ms: load.P99ms, CPUms: map[string]float64{},
		Events: float64(after.msgs-before.msgs) / n, StreamBytes: float64(after.bytes-before.bytes) / n,
		RedisCmds: (after.redisCmds - before.redisCmds) / n}
	for _, k := range costKinds {
		c.CPUms[k] = float64(after.cpu[k]-before.cpu[k]) / float64(time.Millisecond) / n
	}
	c.Fsyncs, err = r.fsyncsPerOp(s, route, workers, min(d, 3*time.Second))
	return c, err
}

// closedRoute runs one route from workers for d, over the processes of its kind.
func (r *clusterRig) closedRoute(s *clusterSession, route clusterRoute, workers int, d time.Duration) Load {
	bases := r.bases[route.kind]
	next := make([]int, workers)
	return closedLoopFn(workers, d, func(w int) bool {
		next[w]++
		return route.do(s, bases[(w+next[w])%len(bases)], w)
	})
}

// waitProjected waits until every projection has applied the stream.
func (r *clusterRig) waitProjected(ctx context.Context) error {
	all, err := projector.WithPartitions(projector.All(), map[string]int{"usage": usagePartitions}) // as the rig runs them
	if err != nil {
		return err
	}
	progress := projector.NewProgress(r.db.Pool, r.js, all)
	deadline := time.Now().Add(2 * time.Minute)
	var behind []string
	for time.Now().Before(deadline) {
		st, err := progress.Statuses(ctx)
		if err != nil {
			return err
		}
		behind = behind[:0]
		for _, s := range st {
			if s.Lag > 0 {
				behind = append(behind, fmt.Sprintf("%s at %d of %d (%s)", s.Name, s.Position, s.StreamPosition, s.State))
			}
		}
		if len(behind) == 0 {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("the projections did not catch up within 2 minutes: %s", strings.Join(behind, ", "))
}

// fsyncsPerOp counts the nodes' fsync and fdatasync calls under strace
// (which slows them: no timing is taken here) while route runs for d.
func (r *clusterRig) fsyncsPerOp(s *clusterSession, route clusterRoute, workers int, d time.Duration) (float64, error) {
	out, err := os.CreateTemp("", "chatbot-bench-strace")
	if err != nil {
		return 0, err
	}
	defer os.Remove(out.Name())
	_ = out.Close()
	args := []string{"-c", "-f", "-e", "trace=fsync,fdatasync", "-o", out.Name()}
	for _, pid := range r.pids("nats") {
		args = append(args, "-p", strconv.Itoa(pid))
	}
	st := exec.Command("strace", args...)
	if err := st.Start(); err != nil {
		return 0, fmt.Errorf("strace (to count fsyncs): %w", err)
	}
	time.Sleep(time.Second) // attached to every thread
	load := r.closedRoute(s, route, workers, d)
	_ = st.Process.Signal(syscall.SIGINT)
	_ = st.Wait()
	calls, err := straceCalls(out.Name(), "fsync", "fdatasync")
	if err != nil || load.Requests == 0 {
		return 0, err
	}
	return float64(calls) / float64(load.Requests), nil
}

// straceCalls sums the calls column of strace -c's summary for names.
func straceCalls(path string, names ...string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	total := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		for _, name := range names {
			if fields[len(fields)-1] == name {
				n, _ := strconv.Atoi(fields[3])
				total += n
			}
		}
	}
	return total, sc.Err()
}

// redisInfo reads the numeric fields of INFO from the server at addr.
func redisInfo(addr string) (map[string]float64, error) {
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("INFO\r\n")); err != nil {
		return nil, err
	}
	rd := bufio.NewReader(c)
	head, err := rd.ReadString('\n')
	if err != nil || !strings.HasPrefix(head, "$") {
		return nil, fmt.Errorf("redis INFO: %q %v", head, err)
	}
	size, _ := strconv.Atoi(strings.TrimSpace(head[1:]))
	buf := make([]byte, size)
	if _, err := io.ReadFull(rd, buf); err != nil {
		return nil, err
	}
	m := map[string]float64{}
	for _, line := range strings.Split(string(buf), "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				m[k] = f
			}
		}
	}
	return m, nil
}
