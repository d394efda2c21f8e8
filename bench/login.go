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
	"time"
)

// productBin is the chatbotd the scenarios start: make bench builds it
// first; the harness's smoke test builds its own.
var productBin = "bin/chatbotd"

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
	cmd := exec.Command(productBin, "serve")
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
