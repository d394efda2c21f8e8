package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// The fault suite (TestFault*) drives real processes through outages and
// kills. Each test runs a short variant by default, within the time CI
// allows; FAULTS_LONG=1 (make faults) runs the long one. With
// FAULTS_REPORT set, each appends its figures to that file as one JSON
// line, which make faults turns into docs/RELIABILITY.md.

// faultLong tells whether the long variants were asked for.
func faultLong() bool { return os.Getenv("FAULTS_LONG") == "1" }

// faultCount is short in CI and long behind make faults.
func faultCount(short, long int) int {
	if faultLong() {
		return long
	}
	return short
}

// faultRow is what one fault or attack did. Lost counts acknowledged
// writes missing afterwards, Duplicated rows or events there twice, Leaked
// error answers that told a client more than a code and a sentence.
type faultRow struct {
	Fault      string `json:"fault"`
	Tries      int    `json:"tries"`
	Failures   int    `json:"failures"`
	Lost       int    `json:"lost"`
	Duplicated int    `json:"duplicated"`
	Leaked     int    `json:"leaked"`
	Notes      string `json:"notes,omitempty"`
	Long       bool   `json:"long"`
}

// recordFault appends row to FAULTS_REPORT, if set, and logs it.
func recordFault(t *testing.T, row faultRow) {
	t.Helper()
	row.Long = faultLong()
	line, err := json.Marshal(row)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("fault figures: %s", line)
	path := os.Getenv("FAULTS_REPORT")
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer testkit.Close(t, path, f)
	if _, err := f.Write(append(line, '\n')); err != nil {
		t.Fatal(err)
	}
}

// answer is one HTTP exchange of a load generator: a transport error
// (the server unreachable) is status 0.
type answer struct {
	status     int
	retryAfter string
	body       string
	took       time.Duration
	err        error
}

// loadClient keeps many connections open at once, as load does.
var loadClient = &http.Client{
	Timeout:   30 * time.Second,
	Transport: &http.Transport{MaxIdleConnsPerHost: 300, MaxConnsPerHost: 300},
}

// send makes one request without failing the test, so goroutines of a
// load generator may use it.
func send(method, url string, body any, headers ...string) answer {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return answer{err: err}
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return answer{err: err}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	began := time.Now()
	res, err := loadClient.Do(req)
	if err != nil {
		return answer{err: err, took: time.Since(began)}
	}
	b, err := io.ReadAll(res.Body)
	if cerr := res.Body.Close(); err == nil {
		err = cerr
	}
	return answer{status: res.StatusCode, retryAfter: res.Header.Get("Retry-After"), body: string(b), took: time.Since(began), err: err}
}

// shedProperly is a refusal a client can act on: 503 or 429 with a
// Retry-After of whole seconds.
func (a answer) shedProperly() bool {
	if a.status != 503 && a.status != 429 {
		return false
	}
	n, err := strconv.Atoi(a.retryAfter)
	return err == nil && n > 0
}

// internalsIn are words of the product's insides that no error answer may
// carry: library, driver and network wording, file paths, stack frames.
var internalsIn = []string{"nats:", "pgx", "pgconn", "postgres", "redis", "dial tcp", "connection refused",
	"context deadline", "goroutine", ".go:", "jetstream", "sql", "SQLSTATE", "i/o timeout", "EOF"}

// leaks tells whether an error answer shows something of the insides.
func (a answer) leaks() bool {
	if a.status < 400 {
		return false
	}
	lower := strings.ToLower(a.body)
	for _, w := range internalsIn {
		if strings.Contains(lower, strings.ToLower(w)) {
			return true
		}
	}
	return false
}

// tally counts answers by status, safely from many goroutines.
type tally struct {
	mu     sync.Mutex
	counts map[int]int
	bad    []answer
}

func (t *tally) add(a answer, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.counts == nil {
		t.counts = map[int]int{}
	}
	t.counts[a.status]++
	if !ok && len(t.bad) < 20 {
		t.bad = append(t.bad, a)
	}
}

// jsOf is JetStream on the test's own connection to n.
func jsOf(t *testing.T, n *testkit.NATS) jetstream.JetStream {
	t.Helper()
	js, err := jetstream.New(n.Conn)
	if err != nil {
		t.Fatal(err)
	}
	return js
}
