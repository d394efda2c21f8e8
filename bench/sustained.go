package main

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// sustainedTargetMs is PERFORMANCE.md's p99 of a simple command at half
// its rate (the rate the whole product keeps up with, see keptUp).
const sustainedTargetMs = 20

// stallMs is the latency from which a request counts as caught in a stall.
const stallMs = 100

// Sustained is an open-loop run: requests sent at a fixed rate whatever
// the answers, each timed from when it was due, so a stall shows in full
// rather than slowing the sender down.
type Sustained struct {
	Load
	Offered  float64 `json:"offered_per_s"`
	MaxMs    float64 `json:"max_ms" doc:"the longest single request"`
	MaxGapMs float64 `json:"max_gap_ms" doc:"the longest time without any request completing"`
	Stalls   []Stall `json:"stalls,omitempty" doc:"runs of requests over stallMs, by when they were due"`
	Late     int     `json:"late" doc:"requests that could not be sent on time because every sender was busy"`
	// Started is when the loop began; its stalls are timed from it.
	Started time.Time `json:"started"`
	// Disk is when the disk under the data stalled meanwhile, if watched.
	Disk        []DiskStall `json:"disk_stalls,omitempty"`
	DiskWatched bool        `json:"disk_watched"`
}

// Stall is a run of slow requests: when it began (seconds into the run),
// how long it lasted and its worst request.
type Stall struct {
	AtS     float64 `json:"at_s"`
	Span    float64 `json:"span_ms"`
	WorstMs float64 `json:"worst_ms"`
}

// sustainedLoop sends op at rate per second for d with at most senders in
// flight, and reports latencies from each request's due time.
func sustainedLoop(rate float64, d time.Duration, senders int, op func(worker int) bool) Sustained {
	interval := time.Duration(float64(time.Second) / rate)
	n := int(d / interval)
	type done struct {
		due, end time.Time
		ok       bool
	}
	results := make([]done, n)
	free := make(chan int, senders)
	for w := range senders {
		free <- w
	}
	var wg sync.WaitGroup
	start := time.Now()
	late := 0
	for i := range n {
		due := start.Add(time.Duration(i) * interval)
		time.Sleep(time.Until(due))
		var w int
		select {
		case w = <-free:
		default:
			late++
			w = <-free
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok := op(w)
			results[i] = done{due: due, end: time.Now(), ok: ok}
			free <- w
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	var lat []time.Duration
	var ends []time.Time
	errs := 0
	for _, r := range results {
		ends = append(ends, r.end)
		if !r.ok {
			errs++
			continue
		}
		lat = append(lat, r.end.Sub(r.due))
	}
	s := Sustained{Offered: rate, Late: late, Started: start, Stalls: stalls(start, results, func(r done) (time.Time, time.Duration) { return r.due, r.end.Sub(r.due) })}
	slices.SortFunc(ends, func(a, b time.Time) int { return a.Compare(b) })
	prev := start
	for _, e := range ends {
		s.MaxGapMs = max(s.MaxGapMs, ms(e.Sub(prev)))
		prev = e
	}
	sorted := slices.Clone(lat)
	slices.Sort(sorted)
	if len(sorted) > 0 {
		s.MaxMs = ms(sorted[len(sorted)-1])
	}
	s.Load = Load{Requests: len(lat), Errors: errs, Rate: float64(len(lat)) / elapsed.Seconds(),
		P50ms: pct(sorted, 0.50), P99ms: pct(sorted, 0.99), P999ms: pct(sorted, 0.999)}
	return s
}

// stalls groups the requests over stallMs, in the order they were due,
// into runs separated by at least a second of normal requests.
func stalls[R any](start time.Time, rs []R, at func(R) (time.Time, time.Duration)) []Stall {
	var out []Stall
	var lastDue time.Time
	for _, r := range rs {
		due, lat := at(r)
		if ms(lat) < stallMs {
			continue
		}
		if len(out) > 0 && due.Sub(lastDue) < time.Second {
			cur := &out[len(out)-1]
			cur.WorstMs = max(cur.WorstMs, ms(lat))
			cur.Span = ms(due.Sub(start)) - cur.AtS*1000 + ms(lat)
		} else {
			out = append(out, Stall{AtS: due.Sub(start).Seconds(), Span: ms(lat), WorstMs: ms(lat)})
		}
		lastDue = due
	}
	return out
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// describeStalls is the stalls for a note, at most ten.
func describeStalls(ss []Stall) string {
	if len(ss) == 0 {
		return fmt.Sprintf("no request over %d ms", stallMs)
	}
	var parts []string
	for i, s := range ss {
		if i == 10 {
			parts = append(parts, fmt.Sprintf("and %d more", len(ss)-10))
			break
		}
		parts = append(parts, fmt.Sprintf("%.1f s (worst %.0f ms)", s.AtS, s.WorstMs))
	}
	return fmt.Sprintf("%d runs of requests over %d ms, at %s", len(ss), stallMs, strings.Join(parts, ", "))
}
