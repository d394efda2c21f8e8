package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Result is one scenario measured against its ceiling.
type Result struct {
	ID      string  `json:"id" doc:"the scenario's name, as -only and SCENARIO take it"`
	Name    string  `json:"name"`
	Ceiling string  `json:"ceiling"`
	Target  float64 `json:"target_ratio" doc:"the ratio PERFORMANCE.md asks for"`
	Ratio   float64 `json:"ratio"`
	Load    Load    `json:"load"`
	Base    Load    `json:"ceiling_load"`
	Note    string  `json:"note,omitempty"`
	// Sustained is the open-loop detail of a sustained scenario.
	Sustained *Sustained `json:"sustained,omitempty"`

	// P50MaxMs and P99MaxMs are PERFORMANCE.md's latency targets of the
	// load, judged beside the ratio; 0 when it states none.
	P50MaxMs float64 `json:"p50_max_ms,omitempty"`
	P99MaxMs float64 `json:"p99_max_ms,omitempty"`
	// Extra are the scenario's own checks (an overhead, a cost that must
	// equal another), judged with the rest.
	Extra []Check `json:"-"`
	// Checks are every target judged, and Met whether all held.
	Checks []Check `json:"checks"`
	Met    bool    `json:"met"`
	// CPUmsPerOp is the CPU time chatbotd spent per operation of the load
	// (user and system, from /proc), for the capacity model; RSSPeakMB its
	// largest resident set during the scenario. Both are 0 for scenarios
	// that run the product's parts in the bench process.
	CPUmsPerOp float64 `json:"cpu_ms_per_op,omitempty"`
	RSSPeakMB  float64 `json:"rss_peak_mb,omitempty"`
}

// Report is what a run writes.
type Report struct {
	When      time.Time `json:"when"`
	Commit    string    `json:"commit"`
	Machine   Machine   `json:"machine"`
	Duration  string    `json:"duration_per_run"`
	Workers   int       `json:"workers"`
	Scenarios []Result  `json:"scenarios"`
	Scale     *Scale    `json:"scale,omitempty"`
}

// Machine describes where the figures were taken.
type Machine struct {
	Cores     int    `json:"cores"`
	CPU       string `json:"cpu"`
	GoVersion string `json:"go"`
}

// scenario measures one thing and its ceiling.
type scenario struct {
	name string
	run  func(cfg runConfig) (Result, error)
}

type runConfig struct {
	duration      time.Duration
	workers       int
	sustain       time.Duration // the open-loop run of the sustained scenarios
	rebuildEvents int
	backlog       int           // events the catch-up scenario projects
	rywFor        time.Duration // the open loop of read-your-writes
	starts        int           // restarts timed by the start-up scenario
	idle          time.Duration // how long the memory scenario waits idle
	timed         int           // logins of each kind timed one at a time
}

// The scenarios of PERFORMANCE.md, in the order a run measures them.
var scenarios = []scenario{
	{"http_edge", benchHTTPEdge},
	{"append", benchAppend},
	{"catch_up", benchCatchUp},
	{"login_right", benchLoginRight},
	{"login_wrong", benchLoginWrong},
	{"login_locked", benchLoginLocked},
	{"refresh", benchRefresh},
	{"bot_api", benchBotAPI},
	{"bot_revoke", benchBotRevoke},
	{"tenant_read", benchTenantRead},
	{"tenant_read_http", benchTenantReadHTTP},
	{"cached_get", benchCachedGet},
	{"uncached_get", benchUncachedGet},
	{"read_your_writes", benchReadYourWrites},
	{"simple_command", benchSimpleCommand},
	{"sustained_command", benchSustainedCommand},
	{"rebuild", benchRebuild},
	{"startup", benchStartup},
	{"memory", benchMemory},
}

func main() {
	// The servers measured in this process are set up as chatbotd sets up
	// its own (cmd/chatbotd/main.go).
	uuid.EnableRandPool()
	out := flag.String("out", "bench/results/latest.json", "where to write the JSON results")
	md := flag.String("md", "BENCHMARKS.md", "where to write the markdown table (\"-\" prints it)")
	d := flag.Duration("duration", 5*time.Second, "length of each measured run")
	workers := flag.Int("workers", 64, "closed-loop workers")
	sustain := flag.Duration("sustain", time.Minute, "length of the open-loop run of sustained_command (shorter for a smoke run)")
	only := flag.String("only", "", "run only the scenarios whose name contains one of these (comma-separated; \"scale\" for the scale run alone)")
	scaleBots := flag.Int("scale-chatbots", 100_000, "chatbots seeded for the scale run (0 skips it)")
	scaleKeys := flag.Int("scale-keys", 10, "API keys of each seeded chatbot")
	rebuildEvents := flag.Int("rebuild-events", 1_000_000, "events the rebuild scenario replays")
	backlog := flag.Int("backlog", 200_000, "events the catch-up scenario projects")
	rywFor := flag.Duration("ryw-duration", 10*time.Second, "length of the read-your-writes open loop")
	starts := flag.Int("starts", 7, "restarts the start-up scenario times")
	idle := flag.Duration("idle", 30*time.Second, "idle time before and after the memory scenario's load")
	soak := flag.Duration("soak", 0, "run the soak (mixed load for this long) instead of the scenarios; writes -soak-out")
	soakOut := flag.String("soak-out", "bench/results/soak.json", "where the soak writes its samples")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	flag.Parse()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			log.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	if *soak > 0 {
		if err := runSoak(*soak, *soakOut, *out, *md); err != nil {
			log.Fatalf("soak: %v", err)
		}
		return
	}
	cfg := runConfig{duration: *d, workers: *workers, sustain: *sustain, rebuildEvents: *rebuildEvents,
		backlog: *backlog, rywFor: *rywFor, starts: *starts, idle: *idle, timed: 40}
	if ran, err := runClusterModes(cfg, *out); ran || err != nil {
		if err != nil {
			log.Fatal(err)
		}
		return
	}
	rep, err := run(cfg, *only, *scaleBots, *scaleKeys)
	if err != nil {
		log.Fatal(err)
	}
	if err := write(rep, *out, *md); err != nil {
		log.Fatal(err)
	}
	if !rep.Met() {
		log.Printf("targets missed: see %s", *md)
	}
}

// selected tells whether the scenario name is one -only asks for.
func selected(name, only string) bool {
	if only == "" {
		return true
	}
	for _, o := range strings.Split(only, ",") {
		if o = strings.TrimSpace(o); o != "" && strings.Contains(name, o) {
			return true
		}
	}
	return false
}

// run measures the selected scenarios and judges each.
func run(cfg runConfig, only string, scaleBots, scaleKeys int) (Report, error) {
	rep := Report{When: time.Now().UTC(), Commit: commit(), Machine: machine(), Duration: cfg.duration.String(), Workers: cfg.workers}
	for _, s := range scenarios {
		if !selected(s.name, only) {
			continue
		}
		log.Printf("scenario %s", s.name)
		r, err := s.run(cfg)
		if err != nil {
			return rep, fmt.Errorf("scenario %s: %w", s.name, err)
		}
		r.ID = s.name
		judge(&r)
		log.Printf("  %s: %.0f/s (ceiling %.0f/s) ratio %.2f; p50 %.2f p99 %.2f p99.9 %.2f ms; %d errors; met %v %s",
			r.Name, r.Load.Rate, r.Base.Rate, r.Ratio, r.Load.P50ms, r.Load.P99ms, r.Load.P999ms, r.Load.Errors, r.Met, failed(r))
		rep.Scenarios = append(rep.Scenarios, r)
	}
	if scaleBots > 0 && (only == "" || selected("scale", only)) {
		log.Printf("scale: %d chatbots × %d keys", scaleBots, scaleKeys)
		sc, err := benchScale(scaleBots, scaleKeys, cfg.workers, cfg.duration)
		if err != nil {
			return rep, fmt.Errorf("scale: %w", err)
		}
		for _, run := range []struct {
			name string
			r    ScaleRun
		}{{"broker embedded", sc.Embedded}, {"standalone broker", sc.External}} {
			log.Printf("  %s: ready %.2fs (cold %.1fs), RSS ready %.0f MB, idle %.0f MB, load peak %.0f MB, after %.0f MB (broker %.0f MB); %.0f calls/s",
				run.name, run.r.ReadyS, run.r.ColdReadyS, run.r.RSSReadyMB, run.r.RSSIdleMB, run.r.RSSLoadPeakMB, run.r.RSSAfterMB, run.r.BrokerAfterMB, run.r.Load.Rate)
		}
		rep.Scale = &sc
	}
	return rep, nil
}

// Met tells whether every scenario met every target.
func (r Report) Met() bool {
	for _, s := range r.Scenarios {
		if !s.Met {
			return false
		}
	}
	return true
}

// write stores the JSON report and renders the markdown beside it.
func write(rep Report, out, md string) error {
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
		return err
	}
	text := markdown(rep, readSoak(filepath.Join(filepath.Dir(out), "soak.json")))
	if md == "-" {
		_, err = os.Stdout.WriteString(text)
		return err
	}
	return os.WriteFile(md, []byte(text), 0o644)
}

func commit() string {
	out, err := exec.Command("git", "rev-parse", "--short=12", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

func machine() Machine {
	m := Machine{Cores: runtime.NumCPU(), GoVersion: runtime.Version(), CPU: "unknown"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "model name") {
				if _, v, ok := strings.Cut(line, ":"); ok {
					m.CPU = strings.TrimSpace(v)
				}
				break
			}
		}
	}
	return m
}
