package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// soakEvery is how often the soak samples serve.
const soakEvery = 10 * time.Second

// SoakSample is serve at one moment of the soak.
type SoakSample struct {
	AtS        float64 `json:"at_s"`
	RSSMB      float64 `json:"rss_mb"`
	HeapMB     float64 `json:"heap_inuse_mb"`
	Goroutines int     `json:"goroutines"`
	Requests   int64   `json:"requests"`
	Errors     int64   `json:"errors"`
}

// SoakReport is what make soak writes: the samples, the load's figures
// and whether memory and goroutines stayed flat.
type SoakReport struct {
	When     time.Time    `json:"when"`
	Commit   string       `json:"commit"`
	Duration string       `json:"duration"`
	Load     Load         `json:"load"`
	Samples  []SoakSample `json:"samples"`
	Checks   []Check      `json:"checks"`
	Met      bool         `json:"met"`
}

// runSoak runs the mixed load for d against one serve, samples it, judges
// flatness, writes soakOut and renders the markdown again with it.
func runSoak(d time.Duration, soakOut, out, md string) error {
	p, err := startProduct(context.Background(), "REDIS_URL="+redisURL())
	if err != nil {
		return err
	}
	defer p.Close()
	if err := p.signup("soak-login@example.com"); err != nil {
		return err
	}
	m, err := newMixed(p, "soak@example.com")
	if err != nil {
		return err
	}
	var done, bad atomic.Int64
	op := func(w int) bool {
		ok := m.op(w)
		if ok {
			done.Add(1)
		} else {
			bad.Add(1)
		}
		return ok
	}
	rep := SoakReport{When: time.Now().UTC(), Commit: commit(), Duration: d.String()}
	start := time.Now()
	stop := make(chan struct{})
	sampled := make(chan []SoakSample)
	go func() {
		var ss []SoakSample
		tick := time.NewTicker(soakEvery)
		defer tick.Stop()
		for {
			s := sampleServe(p, time.Since(start))
			s.Requests, s.Errors = done.Load(), bad.Load()
			ss = append(ss, s)
			log.Printf("  soak %4.0f s: RSS %.0f MB, heap %.0f MB, %d goroutines, %d requests, %d errors", s.AtS, s.RSSMB, s.HeapMB, s.Goroutines, s.Requests, s.Errors)
			select {
			case <-stop:
				sampled <- ss
				return
			case <-tick.C:
			}
		}
	}()
	rep.Load = closedLoopFn(16, d, op)
	close(stop)
	rep.Samples = <-sampled
	rep.Checks = flatness(rep.Samples)
	rep.Checks = append(rep.Checks, atMost("errors", float64(rep.Load.Errors), 0, ""))
	rep.Met = true
	for _, c := range rep.Checks {
		rep.Met = rep.Met && c.Met
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(soakOut, append(b, '\n'), 0o644); err != nil {
		return err
	}
	// BENCHMARKS.md shows the soak beside the latest scenarios.
	if latest, err := os.ReadFile(out); err == nil && filepath.Dir(soakOut) == filepath.Dir(out) {
		var r Report
		if json.Unmarshal(latest, &r) == nil {
			return os.WriteFile(md, []byte(markdown(r, &rep)), 0o644)
		}
	}
	return nil
}

// flatness compares the window after warm-up (20-40 % of the run) with
// the last 20 %: resident set and goroutines must not have grown beyond
// noise.
func flatness(ss []SoakSample) []Check {
	n := len(ss)
	if n < 5 {
		return []Check{atLeast("samples", float64(n), 5, "")}
	}
	early := ss[n/5 : max(2*n/5, n/5+1)]
	late := ss[n-max(n/5, 1):]
	mean := func(s []SoakSample, f func(SoakSample) float64) float64 {
		t := 0.0
		for _, x := range s {
			t += f(x)
		}
		return t / float64(len(s))
	}
	rss := func(s SoakSample) float64 { return s.RSSMB }
	gor := func(s SoakSample) float64 { return float64(s.Goroutines) }
	e, l := mean(early, rss), mean(late, rss)
	eg, lg := mean(early, gor), mean(late, gor)
	return []Check{
		atMost("RSS growth from after warm-up to the end", l-e, max(20, e/10), " MB"),
		atMost("goroutine growth from after warm-up to the end", lg-eg, 10+eg/10, ""),
	}
}

// sampleServe reads serve's resident set from /proc and its heap and
// goroutines from /metrics.
func sampleServe(p *product, at time.Duration) SoakSample {
	s := readMetrics(p.base)
	s.AtS, s.RSSMB = at.Seconds(), procRSSMB(p.cmd.Process.Pid)
	return s
}

// readMetrics reads a serve's heap in use and goroutines from its /metrics.
func readMetrics(base string) SoakSample {
	var s SoakSample
	res, err := http.Get(base + "/metrics")
	if err != nil {
		return s
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		name, v, ok := strings.Cut(sc.Text(), " ")
		if !ok {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			continue
		}
		switch name {
		case "go_goroutines":
			s.Goroutines = int(f)
		case "go_memstats_heap_inuse_bytes":
			s.HeapMB = f / (1 << 20)
		}
	}
	return s
}

// readSoak is the latest soak's report, if make soak has written one.
func readSoak(path string) *SoakReport {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var r SoakReport
	if json.Unmarshal(b, &r) != nil {
		return nil
	}
	return &r
}

func soakMarkdown(r SoakReport) string {
	var b strings.Builder
	verdict := "flat ✓"
	if !r.Met {
		verdict = "✗"
	}
	fmt.Fprintf(&b, "\n## Soak (`make soak`): %s of mixed load, commit %s, %s — %s\n\n", r.Duration, r.Commit, r.When.Format(time.RFC3339), verdict)
	fmt.Fprintf(&b, "%d requests at %.0f/s, p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, %d errors. ", r.Load.Requests, r.Load.Rate, r.Load.P50ms, r.Load.P99ms, r.Load.P999ms, r.Load.Errors)
	var cs []string
	for _, c := range r.Checks {
		cs = append(cs, c.String())
	}
	b.WriteString(strings.Join(cs, "; ") + ".\n\n| at s | RSS MB | heap MB | goroutines | requests | errors |\n|---|---|---|---|---|---|\n")
	step := max(1, len(r.Samples)/12)
	for i, s := range r.Samples {
		if i%step == 0 || i == len(r.Samples)-1 {
			fmt.Fprintf(&b, "| %.0f | %.0f | %.0f | %d | %d | %d |\n", s.AtS, s.RSSMB, s.HeapMB, s.Goroutines, s.Requests, s.Errors)
		}
	}
	return b.String()
}
