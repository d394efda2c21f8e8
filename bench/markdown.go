package main

import (
	"fmt"
	"strings"
	"time"
)

// markdown renders the report as BENCHMARKS.md: one row per scenario with
// its latencies, errors, ceiling and verdict, then every check, the scale
// run and the latest soak.
func markdown(r Report, soak *SoakReport) string {
	var b strings.Builder
	b.WriteString("# Benchmarks\n\nWritten by `make bench` (`make bench SCENARIO=name` runs one); every ratio is to a ceiling measured in the same run on the same machine, " +
		"and every target of PERFORMANCE.md is judged: a scenario passes when its ratio, its latency targets and its own checks hold and it counted no error.\n\n")
	fmt.Fprintf(&b, "- when: %s, commit %s\n- machine: %d cores, %s, %s\n- closed loop: %d workers unless a scenario says otherwise, %s per run, loopback\n\n",
		r.When.Format(time.RFC3339), r.Commit, r.Machine.Cores, r.Machine.CPU, r.Machine.GoVersion, r.Workers, r.Duration)
	b.WriteString("| scenario | rate/s | p50 ms | p99 ms | p99.9 ms | errors | CPU ms/op | RSS peak MB | ceiling | ceiling rate/s | ratio | verdict |\n" +
		"|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, s := range r.Scenarios {
		verdict := "✓"
		if !s.Met {
			verdict = "✗ " + failed(s)
		}
		ratio := "—"
		if s.Target > 0 {
			ratio = fmt.Sprintf("%.2f (≥ %.2f)", s.Ratio, s.Target)
		}
		fmt.Fprintf(&b, "| %s | %.0f | %.2f | %.2f | %.2f | %d | %s | %s | %s | %s | %s | %s |\n",
			s.Name, s.Load.Rate, s.Load.P50ms, s.Load.P99ms, s.Load.P999ms, s.Load.Errors+s.Base.Errors,
			optional(s.CPUmsPerOp), optional(s.RSSPeakMB), s.Ceiling, optional(s.Base.Rate), ratio, verdict)
	}
	b.WriteString("\n## Every check\n\n")
	for _, s := range r.Scenarios {
		var cs []string
		for _, c := range s.Checks {
			cs = append(cs, c.String())
		}
		fmt.Fprintf(&b, "- **%s** (`%s`): %s\n", s.Name, s.ID, strings.Join(cs, "; "))
	}
	if sc := r.Scale; sc != nil {
		fmt.Fprintf(&b, "\n## serve at scale: %d API keys over %d chatbots\n\n", sc.Keys, sc.Chatbots)
		b.WriteString("| NATS server | seed s | first start s | ready s (target ≤ 2) | RSS ready MB | idle 60 s MB (≤ 80) | heap in use idle MB | load peak MB (≤ 250) | 60 s after MB | broker idle / after MB | calls/s | p99 ms |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n")
		for _, run := range []struct {
			name string
			r    ScaleRun
		}{{"embedded in serve", sc.Embedded}, {"standalone process", sc.External}} {
			broker := "in serve's"
			if run.r.BrokerIdleMB > 0 {
				broker = fmt.Sprintf("%.0f / %.0f", run.r.BrokerIdleMB, run.r.BrokerAfterMB)
			}
			fmt.Fprintf(&b, "| %s | %.1f | %.1f | %.2f | %.0f | %.0f | %.0f | %.0f | %.0f | %s | %.0f | %.2f |\n", run.name,
				run.r.SeedSeconds, run.r.ColdReadyS, run.r.ReadyS, run.r.RSSReadyMB, run.r.RSSIdleMB, run.r.HeapIdleMB, run.r.RSSLoadPeakMB, run.r.RSSAfterMB,
				broker, run.r.Load.Rate, run.r.Load.P99ms)
		}
		b.WriteString("\nSeeded with `chatbotd dev seed`; the first start folds every chatbot and company event and writes the directory's snapshot; " +
			"the projections' checkpoints are then moved to the stream's end (the seeded history is not projected) and, once the seed is out of the stream's " +
			"two-minute duplicate window (which a start reads back), a restart is measured. " +
			"The load draws keys at random from all seeded. Each row seeds its own stream; the standalone server is the same NATS server " +
			"version run as a process of its own, with the product's users, as docker compose runs it.\n")
	}
	if soak != nil {
		b.WriteString(soakMarkdown(*soak))
	}
	b.WriteString("\n## Notes\n")
	for _, s := range r.Scenarios {
		if s.Note != "" {
			fmt.Fprintf(&b, "\n- %s: %s", s.Name, s.Note)
		}
	}
	b.WriteString("\n")
	return b.String()
}

// optional prints a figure, or a dash for one the scenario does not take.
func optional(f float64) string {
	if f == 0 {
		return "—"
	}
	return num(f)
}
