package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestStraceSummaryCallsAreSummedForTheNamedCalls(t *testing.T) {
	summary := `% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 91.20    0.412345         130      3170           fdatasync
  8.80    0.039785          37      1071         2 fsync
------ ----------- ----------- --------- --------- ----------------
100.00    0.452130         106      4241         2 total
`
	path := filepath.Join(t.TempDir(), "summary")
	if err := os.WriteFile(path, []byte(summary), 0o600); err != nil {
		t.Fatal(err)
	}
	n, err := straceCalls(path, "fsync", "fdatasync")
	if err != nil || n != 4241 {
		t.Fatalf("calls = %d, %v; want 4241", n, err)
	}
}

func TestTheModelSizesFromTheCostsAndFindsTheLowestCeiling(t *testing.T) {
	c := Capacity{
		Ops: []OpCost{
			{Op: "bot", CPUms: map[string]float64{"command": 0.5, "nats": 0.3, "redis": 0.1}},
			{Op: "cached_get", CPUms: map[string]float64{"query": 0.1}},
			{Op: "command", CPUms: map[string]float64{"command": 0.2, "nats": 0.5, "projector": 0.1}, Events: 1, StreamBytes: 1000, Fsyncs: 2},
			{Op: "refresh", CPUms: map[string]float64{"command": 1}, Events: 1, StreamBytes: 1000},
			{Op: "login", CPUms: map[string]float64{"command": 100}, Events: 2, StreamBytes: 2000},
		},
		Projections:   []ProjectionCost{{Name: "event_log", RowsPerEvent: 1, BytesPerEvent: 1000}},
		AppendCeiling: Load{Rate: 10000}, ApplyRate: 20000, ReadRate: 10000,
	}
	m := costOfMix(c)
	// 0.05 + 0.04 + 0.01×2 events, 70% × 0.5 + 5% × 0.2 + 4% × 1 + 1% × 100 command ms.
	if !near(m.events, 0.11) || !near(m.cpu["command"], 1.4) || !near(m.rows, 0.11) {
		t.Fatalf("mix cost %+v", m)
	}
	s := size(c, m, 10000, c.ReadRate)
	// 10,000 × 1.4 ms over 1,200 ms a process: 12.
	if s.command != 12 || s.query != 2 || !near(s.eventsPerS, 1100) {
		t.Errorf("sizing at 10k: %+v", s)
	}
	ls := limits(c, m)
	// Redis: 600 / 0.07 ms ≈ 8.6k; the stream: 10,000 / 0.11 ≈ 91k; event_log: 20,000 / 0.11 ≈ 182k.
	if len(ls) != 3 || !strings.HasPrefix(ls[0].what, "Redis") || !near(ls[1].rate, 10000/0.11) {
		t.Errorf("limits %+v", ls)
	}
}

func near(a, b float64) bool { return a > b*0.999 && a < b*1.001 }
