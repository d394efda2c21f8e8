package testkit

import (
	"context"
	"net"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisServer is a throwaway redis-server of one test, on a port of its
// own, that the test may stop, freeze and start again.
type RedisServer struct {
	tb   testing.TB
	port int
	cmd  *exec.Cmd
}

// StartRedis starts a redis-server that keeps nothing on disk; it is
// killed at the end of the test.
func StartRedis(tb testing.TB) *RedisServer {
	tb.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		tb.Fatalf("redis-server is not installed: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	r := &RedisServer{tb: tb, port: port}
	r.Start()
	tb.Cleanup(r.Kill)
	return r
}

// URL is the server's redis:// URL.
func (r *RedisServer) URL() string { return "redis://127.0.0.1:" + strconv.Itoa(r.port) + "/0" }

// Start starts the server (again, after Kill) and waits until it answers.
func (r *RedisServer) Start() {
	r.tb.Helper()
	r.cmd = exec.Command("redis-server", "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no")
	if err := r.cmd.Start(); err != nil {
		r.tb.Fatalf("start redis-server: %v", err)
	}
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(r.port)})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			r.tb.Fatalf("redis-server on port %d does not answer: %v", r.port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill ends the server at once, losing what it held.
func (r *RedisServer) Kill() {
	if r.cmd == nil || r.cmd.Process == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
	r.cmd = nil
}

// Freeze stops the server's process without closing its connections: it
// answers nothing, as a Redis too slow to be of use.
func (r *RedisServer) Freeze() { r.signal(syscall.SIGSTOP) }

// Thaw lets a frozen server go on, with everything it held.
func (r *RedisServer) Thaw() { r.signal(syscall.SIGCONT) }

func (r *RedisServer) signal(s syscall.Signal) {
	r.tb.Helper()
	if r.cmd == nil || r.cmd.Process == nil {
		r.tb.Fatal("redis-server is not running")
	}
	if err := r.cmd.Process.Signal(s); err != nil {
		r.tb.Fatalf("signal redis-server: %v", err)
	}
}
