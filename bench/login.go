package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// product is chatbotd serve started from the built binary for a scenario.
type product struct {
	cmd  *exec.Cmd
	base string
	db   *benchDB
	dir  string
	// started is when the process was started, to place a scenario's
	// moments on its own clock (GODEBUG=gctrace=1 times, log lines).
	started time.Time
}

func startProduct(ctx context.Context, extra ...string) (*product, error) {
	db, err := newBenchDB(ctx)
	if err != nil {
		return nil, err
	}
	dir, _ := os.MkdirTemp("", "chatbot-bench")
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	url, _ := withDatabase(adminURL(), db.name)
	cmd := exec.Command("bin/chatbotd", "serve")
	cmd.Env = append(os.Environ(), "DATABASE_URL="+url, "HTTP_ADDR="+addr, "NATS_LISTEN=127.0.0.1:0", "DATA_DIR="+dir,
		"LOG_LEVEL=error", "TRUSTED_PROXIES=127.0.0.1/32")
	cmd.Env = append(cmd.Env, extra...)
	if path := os.Getenv("BENCH_PRODUCT_LOG"); path != "" {
		// Keeps what chatbotd writes to stderr (its log, GODEBUG=gctrace=1
		// lines), to read a scenario's figures against it.
		if f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err == nil {
			cmd.Stderr, cmd.Stdout = f, f
		}
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start bin/chatbotd (run make build first): %w", err)
	}
	p := &product{cmd: cmd, base: "http://" + addr, db: db, dir: dir, started: time.Now()}
	for i := 0; i < 200; i++ {
		if res, err := http.Get(p.base + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return p, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.Close()
	return nil, fmt.Errorf("chatbotd did not become ready")
}

func (p *product) Close() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	_ = p.cmd.Wait()
	p.db.Close()
	_ = os.RemoveAll(p.dir)
}

// post sends a JSON body from a random client address (through the
// trusted-proxy header), so the per-IP throttle does not cap the bench.
func (p *product) post(path string, body any) (*http.Response, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", p.base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", rand.IntN(256), rand.IntN(256), rand.IntN(256)))
	res, err := http.DefaultClient.Do(req)
	if err == nil {
		res.Body.Close()
	}
	return res, err
}

func (p *product) signup(email string) error {
	res, err := p.post("/v1/auth/signup", map[string]string{"company_name": "Bench", "name": "Bench", "email": email, "password": "bench password 123"})
	if err != nil {
		return err
	}
	if res.StatusCode != 201 {
		return fmt.Errorf("signup %s: %d", email, res.StatusCode)
	}
	return nil
}

const defaultBcryptCost = 11

// benchLogin compares logins with the right password, through HTTP and
// the event store, with the bcrypt ceiling: cores × compares per second at
// the product's default cost.
func benchLogin(cfg runConfig) (Result, error) {
	ctx := context.Background()
	hash, _ := bcrypt.GenerateFromPassword([]byte("a 64-byte pre-hash stands here; the compare costs the same"), defaultBcryptCost)
	cores := runtime.NumCPU()
	base := closedLoopFn(cores, cfg.duration, func(int) bool {
		return bcrypt.CompareHashAndPassword(hash, []byte("a 64-byte pre-hash stands here; the compare costs the same")) == nil
	})

	p, err := startProduct(ctx)
	if err != nil {
		return Result{}, err
	}
	defer p.Close()
	if err := p.signup("bench@example.com"); err != nil {
		return Result{}, err
	}
	login := func(email, password string) bool {
		res, err := p.post("/v1/auth/login", map[string]string{"email": email, "password": password})
		return err == nil && res.StatusCode == 200
	}
	load := closedLoopFn(cores, cfg.duration, func(int) bool { return login("bench@example.com", "bench password 123") })

	// The cost of failures: unknown email, wrong password, locked account.
	if err := p.signup("locked@example.com"); err != nil {
		return Result{}, err
	}
	for range 5 {
		login("locked@example.com", "wrong password")
	}
	timed := func(n int, f func(i int)) float64 {
		var ds []time.Duration
		for i := range n {
			t0 := time.Now()
			f(i)
			ds = append(ds, time.Since(t0))
		}
		slices.Sort(ds)
		return float64(ds[len(ds)/2].Microseconds()) / 1000
	}
	for i := range 8 {
		_ = p.signup(fmt.Sprintf("wrong%d@example.com", i))
	}
	unknown := timed(24, func(int) { login("nobody@example.com", "bench password 123") })
	locked := timed(24, func(int) { login("locked@example.com", "bench password 123") })
	wrong := timed(24, func(i int) { login(fmt.Sprintf("wrong%d@example.com", i%8), "wrong password") })
	ceilingP50 := 1000 / (base.Rate / float64(cores))
	return Result{
		Name: "login (right password)", Ceiling: fmt.Sprintf("bcrypt compare at cost %d × %d cores", defaultBcryptCost, cores),
		Target: 0.9, Ratio: load.Rate / base.Rate, Load: load, Base: base,
		Note: fmt.Sprintf("p50 %.1f ms against one bcrypt compare of %.1f ms (overhead %.1f ms); failures p50: unknown email %.1f ms, wrong password %.1f ms, locked account %.1f ms",
			load.P50ms, ceilingP50, load.P50ms-ceilingP50, unknown, wrong, locked),
	}, nil
}
