package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"time"
)

// benchBotRevoke measures what exact revocation costs the write that
// revokes: with a second `chatbotd command` beside serve (two processes
// serving bot calls, one NATS server), one after the other, a key is
// issued (a write that waits for no one: the ceiling) and revoked (a write
// that answers once both processes have applied it).
func benchBotRevoke(cfg runConfig) (Result, error) {
	p, err := startProduct(context.Background(), "REDIS_URL="+redisURL())
	if err != nil {
		return Result{}, err
	}
	defer p.Close()
	other, err := startBeside(p, "command")
	if err != nil {
		return Result{}, err
	}
	defer other.stop()
	bench, err := newBenchChatbot(p)
	if err != nil {
		return Result{}, err
	}
	// A process trusts the members it heard once it has listened for 2 s.
	time.Sleep(2500 * time.Millisecond)
	var issued, revoked []time.Duration
	deadline := time.Now().Add(cfg.duration)
	for time.Now().Before(deadline) {
		var key struct {
			ID string `json:"id"`
		}
		t0 := time.Now()
		status, err := p.call("POST", bench.base+"/"+bench.id+"/api-keys", bench.token, map[string]string{"name": "revoked"}, &key)
		if err != nil || status != 201 {
			return Result{}, fmt.Errorf("issue key: %d %v", status, err)
		}
		t1 := time.Now()
		req, _ := http.NewRequest("DELETE", p.base+bench.base+"/"+bench.id+"/api-keys/"+key.ID, nil)
		req.Header.Set("Authorization", "Bearer "+bench.token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return Result{}, err
		}
		res.Body.Close()
		if res.StatusCode != 204 {
			return Result{}, fmt.Errorf("revoke: %d", res.StatusCode)
		}
		issued, revoked = append(issued, t1.Sub(t0)), append(revoked, time.Since(t1))
	}
	load, base := sequential(revoked), sequential(issued)
	return Result{
		Name: "DELETE .../api-keys/{kid} (2 processes)", Ceiling: "POST .../api-keys, one at a time",
		Target: 0, Ratio: load.Rate / base.Rate, Load: load, Base: base,
		Note: fmt.Sprintf("no target: the revoke's p50 minus the issue's (%.2f ms) is what waiting for every process serving bot calls adds; "+
			"a process that does not confirm costs the whole bound (1.75 s)", load.P50ms-base.P50ms),
	}, nil
}

// sequential is the Load of calls made one after the other.
func sequential(took []time.Duration) Load {
	var total time.Duration
	for _, d := range took {
		total += d
	}
	sorted := slices.Sorted(slices.Values(took))
	l := Load{Requests: len(took), P50ms: pct(sorted, 0.50), P99ms: pct(sorted, 0.99), P999ms: pct(sorted, 0.999)}
	if total > 0 {
		l.Rate = float64(len(took)) / total.Seconds()
	}
	return l
}

// besideProcess is a second chatbotd process sharing a product's embedded
// NATS server (its DATA_DIR) and database.
type besideProcess struct{ cmd *exec.Cmd }

func startBeside(p *product, part string) (*besideProcess, error) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(productBin, part)
	cmd.Env = append(slices.Clone(p.cmd.Env), "HTTP_ADDR="+addr)
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	b := &besideProcess{cmd: cmd}
	for range 200 {
		if res, err := http.Get("http://" + addr + "/readyz"); err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return b, nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.stop()
	return nil, fmt.Errorf("chatbotd %s did not become ready", part)
}

func (b *besideProcess) stop() {
	_ = b.cmd.Process.Signal(os.Interrupt)
	_ = b.cmd.Wait()
}
