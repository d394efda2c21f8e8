package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// TestTheHarnessMeasuresEveryScenario runs every scenario of make bench
// briefly against a freshly built chatbotd, so that the harness cannot rot:
// each must measure its latencies and judge its targets. Whether a target
// is met on a test machine is not asserted (timings belong to make bench).
func TestTheHarnessMeasuresEveryScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts chatbotd many times")
	}
	// Its own Redis database: make test runs packages side by side, and the
	// end-to-end tests log in from the same address (one throttle key).
	if os.Getenv("REDIS_URL") == "" {
		t.Setenv("REDIS_URL", testkit.RedisURL(t))
	}
	dir := t.TempDir()
	productBin = filepath.Join(dir, "chatbotd")
	build := exec.Command("go", "build", "-o", productBin, "../cmd/chatbotd")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build chatbotd: %v\n%s", err, out)
	}
	ceilingRows, scaleIdle, scaleOutOfWindow = 2_000, time.Second, 0
	cfg := runConfig{duration: 400 * time.Millisecond, workers: 4, sustain: time.Second, rebuildEvents: 3_000,
		backlog: 3_000, rywFor: time.Second, starts: 2, idle: 200 * time.Millisecond, timed: 3}
	rep, err := run(cfg, "", 200, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Scenarios) != len(scenarios) {
		t.Fatalf("%d scenarios measured of %d", len(rep.Scenarios), len(scenarios))
	}
	for _, r := range rep.Scenarios {
		if r.Load.Requests == 0 || r.Load.P50ms <= 0 || r.Load.P99ms <= 0 || r.Load.P999ms <= 0 {
			t.Errorf("%s: latencies not measured: %+v", r.ID, r.Load)
		}
		if r.Target > 0 && r.Base.Rate <= 0 {
			t.Errorf("%s: ceiling not measured: %+v", r.ID, r.Base)
		}
		if len(r.Checks) < 2 {
			t.Errorf("%s: %d checks judged", r.ID, len(r.Checks))
		}
	}
	if rep.Scale == nil || rep.Scale.Embedded.ReadyS <= 0 || rep.Scale.External.ReadyS <= 0 {
		t.Errorf("the scale run measured no start-up: %+v", rep.Scale)
	} else if rep.Scale.External.BrokerIdleMB <= 0 || rep.Scale.Embedded.BrokerIdleMB != 0 {
		t.Errorf("the standalone broker's memory was not read apart from serve's: %+v", rep.Scale)
	}
	out := filepath.Join(dir, "results", "latest.json")
	md := filepath.Join(dir, "BENCHMARKS.md")
	if err := write(rep, out, md); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{out, md} {
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			t.Errorf("%s not written: %v", f, err)
		}
	}
}

// TestSoakFlatness judges the soak's samples: a resident set that keeps
// growing fails, one that settles after warm-up passes.
func TestSoakFlatness(t *testing.T) {
	samples := func(f func(i int) float64) []SoakSample {
		var ss []SoakSample
		for i := range 20 {
			ss = append(ss, SoakSample{AtS: float64(10 * i), RSSMB: f(i), Goroutines: 60})
		}
		return ss
	}
	settled := samples(func(i int) float64 { return 100 + 50*min(float64(i), 3)/3 })
	leaking := samples(func(i int) float64 { return 100 + 10*float64(i) })
	for _, c := range flatness(settled) {
		if !c.Met {
			t.Errorf("settled: %s", c)
		}
	}
	if c := flatness(leaking)[0]; c.Met {
		t.Errorf("leaking: %s", c)
	}
}
