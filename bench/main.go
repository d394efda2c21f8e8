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
)

// Result is one scenario measured against its ceiling.
type Result struct {
	Name    string  `json:"name"`
	Ceiling string  `json:"ceiling"`
	Target  float64 `json:"target_ratio" doc:"the ratio PERFORMANCE.md asks for"`
	Ratio   float64 `json:"ratio"`
	Load    Load    `json:"load"`
	Base    Load    `json:"ceiling_load"`
	Note    string  `json:"note,omitempty"`
	// Sustained is the open-loop detail of a sustained scenario.
	Sustained *Sustained `json:"sustained,omitempty"`
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
}

var scenarios = []scenario{
	{"http_edge", benchHTTPEdge},
	{"append", benchAppend},
	{"catch_up", benchCatchUp},
	{"login", benchLogin},
	{"bot_api", benchBotAPI},
	{"tenant_read", benchTenantRead},
	{"tenant_read_http", benchTenantReadHTTP},
	{"read_your_writes", benchReadYourWrites},
	{"simple_command", benchSimpleCommand},
	{"sustained_command", benchSustainedCommand},
	{"rebuild", benchRebuild},
}

func main() {
	out := flag.String("out", "bench/results/latest.json", "where to write the JSON results")
	md := flag.String("md", "BENCHMARKS.md", "where to write the markdown table")
	d := flag.Duration("duration", 5*time.Second, "length of each measured run")
	workers := flag.Int("workers", 64, "closed-loop workers")
	sustain := flag.Duration("sustain", time.Minute, "length of the open-loop run of sustained_command (shorter for a smoke run)")
	only := flag.String("only", "", "run only scenarios whose name contains this (\"scale\" for the scale run alone)")
	scaleBots := flag.Int("scale-chatbots", 100_000, "chatbots seeded for the scale run (0 skips it)")
	scaleKeys := flag.Int("scale-keys", 10, "API keys of each seeded chatbot")
	rebuildEvents := flag.Int("rebuild-events", 1_000_000, "events the rebuild scenario replays")
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

	rep := Report{When: time.Now().UTC(), Commit: commit(), Machine: machine(), Duration: d.String(), Workers: *workers}
	for _, s := range scenarios {
		if *only != "" && !strings.Contains(s.name, *only) {
			continue
		}
		log.Printf("scenario %s", s.name)
		r, err := s.run(runConfig{duration: *d, workers: *workers, sustain: *sustain, rebuildEvents: *rebuildEvents})
		if err != nil {
			log.Fatalf("scenario %s: %v", s.name, err)
		}
		log.Printf("  %s: %.0f/s (ceiling %.0f/s) ratio %.2f, target %.2f", r.Name, r.Load.Rate, r.Base.Rate, r.Ratio, r.Target)
		rep.Scenarios = append(rep.Scenarios, r)
	}
	if *scaleBots > 0 && (*only == "" || *only == "scale") {
		log.Printf("scale: %d chatbots × %d keys", *scaleBots, *scaleKeys)
		sc, err := benchScale(*scaleBots, *scaleKeys, *workers, *d)
		if err != nil {
			log.Fatalf("scale: %v", err)
		}
		log.Printf("  ready %.2fs (cold %.1fs), RSS ready %.0f MB, idle %.0f MB, load peak %.0f MB, after %.0f MB; %.0f calls/s",
			sc.ReadyS, sc.ColdReadyS, sc.RSSReadyMB, sc.RSSIdleMB, sc.RSSLoadPeakMB, sc.RSSAfterMB, sc.Load.Rate)
		rep.Scale = &sc
	}
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		log.Fatal(err)
	}
	b, _ := json.MarshalIndent(rep, "", "  ")
	if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*md, []byte(markdown(rep)), 0o644); err != nil {
		log.Fatal(err)
	}
}

func markdown(r Report) string {
	var b strings.Builder
	b.WriteString("# Benchmarks\n\nWritten by `make bench`; every figure is a ratio to a ceiling measured in the same run on the same machine.\n\n")
	fmt.Fprintf(&b, "- when: %s, commit %s\n- machine: %d cores, %s, %s\n- closed loop: %d workers, %s per run, loopback\n\n",
		r.When.Format(time.RFC3339), r.Commit, r.Machine.Cores, r.Machine.CPU, r.Machine.GoVersion, r.Workers, r.Duration)
	b.WriteString("| scenario | rate/s | p50 ms | p99 ms | p99.9 ms | ceiling | ceiling rate/s | ratio | target |\n|---|---|---|---|---|---|---|---|---|\n")
	for _, s := range r.Scenarios {
		verdict := "✓"
		if s.Ratio < s.Target {
			verdict = "✗"
		}
		fmt.Fprintf(&b, "| %s | %.0f | %.2f | %.2f | %.2f | %s | %.0f | %.2f %s | ≥ %.2f |\n",
			s.Name, s.Load.Rate, s.Load.P50ms, s.Load.P99ms, s.Load.P999ms, s.Ceiling, s.Base.Rate, s.Ratio, verdict, s.Target)
	}
	if sc := r.Scale; sc != nil {
		fmt.Fprintf(&b, "\n## serve at scale: %d API keys over %d chatbots\n\n", sc.Keys, sc.Chatbots)
		b.WriteString("| seed s | first start s | ready s (target ≤ 2) | RSS ready MB | idle 60 s MB (≤ 80) | load peak MB (≤ 250) | 60 s after MB | calls/s | p99 ms |\n|---|---|---|---|---|---|---|---|---|\n")
		fmt.Fprintf(&b, "| %.1f | %.1f | %.2f | %.0f | %.0f | %.0f | %.0f | %.0f | %.2f |\n",
			sc.SeedSeconds, sc.ColdReadyS, sc.ReadyS, sc.RSSReadyMB, sc.RSSIdleMB, sc.RSSLoadPeakMB, sc.RSSAfterMB, sc.Load.Rate, sc.Load.P99ms)
		b.WriteString("\nSeeded with `chatbotd dev seed`; the first start reads every key and writes the key index's snapshot; " +
			"the projections' checkpoints are then moved to the stream's end (the seeded history is not projected) and a restart is measured. " +
			"The load draws keys at random from all seeded.\n")
	}
	for _, s := range r.Scenarios {
		if s.Note != "" {
			fmt.Fprintf(&b, "\n- %s: %s", s.Name, s.Note)
		}
	}
	b.WriteString("\n")
	return b.String()
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
