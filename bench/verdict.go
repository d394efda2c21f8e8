package main

import (
	"fmt"
	"strings"
)

// Check is one target of PERFORMANCE.md judged against what was measured:
// Got must be at least Limit, or at most it when AtMost.
type Check struct {
	What   string  `json:"what"`
	Got    float64 `json:"got"`
	Limit  float64 `json:"limit"`
	AtMost bool    `json:"at_most,omitempty"`
	Unit   string  `json:"unit,omitempty"`
	Met    bool    `json:"met"`
}

func atLeast(what string, got, limit float64, unit string) Check {
	return Check{What: what, Got: got, Limit: limit, Unit: unit, Met: got >= limit}
}

func atMost(what string, got, limit float64, unit string) Check {
	return Check{What: what, Got: got, Limit: limit, AtMost: true, Unit: unit, Met: got <= limit}
}

func (c Check) String() string {
	op := "≥"
	if c.AtMost {
		op = "≤"
	}
	mark := "✓"
	if !c.Met {
		mark = "✗"
	}
	return fmt.Sprintf("%s %s %s %s%s %s", c.What, num(c.Got), op, num(c.Limit), c.Unit, mark)
}

// num prints a figure with the precision its size deserves.
func num(f float64) string {
	switch {
	case f == float64(int64(f)) && (f >= 100 || f <= -100 || f == 0):
		return fmt.Sprintf("%.0f", f)
	case f >= 100:
		return fmt.Sprintf("%.0f", f)
	case f >= 10:
		return fmt.Sprintf("%.1f", f)
	default:
		return fmt.Sprintf("%.2f", f)
	}
}

// judge fills r.Checks and r.Met: the ratio against its ceiling, the
// latency targets, every latency measured (none left at zero), no error in
// the load or its ceiling, then the scenario's own checks.
func judge(r *Result) {
	var cs []Check
	if r.Target > 0 {
		cs = append(cs, atLeast("ratio", r.Ratio, r.Target, ""))
	}
	if r.P50MaxMs > 0 {
		cs = append(cs, atMost("p50", r.Load.P50ms, r.P50MaxMs, " ms"))
	}
	if r.P99MaxMs > 0 {
		cs = append(cs, atMost("p99", r.Load.P99ms, r.P99MaxMs, " ms"))
	}
	measured := 0.0
	if r.Load.P50ms > 0 && r.Load.P99ms > 0 && r.Load.P999ms > 0 {
		measured = 1
	}
	cs = append(cs, atLeast("p50, p99 and p99.9 measured", measured, 1, ""))
	cs = append(cs, atMost("errors", float64(r.Load.Errors+r.Base.Errors), 0, ""))
	r.Checks = append(cs, r.Extra...)
	r.Met = true
	for _, c := range r.Checks {
		r.Met = r.Met && c.Met
	}
}

// failed lists the checks of r that were not met.
func failed(r Result) string {
	var out []string
	for _, c := range r.Checks {
		if !c.Met {
			out = append(out, c.String())
		}
	}
	return strings.Join(out, "; ")
}
