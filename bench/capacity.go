package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

var capacityOut = flag.String("capacity", "", "measure the capacity model's inputs on the cluster rig and write the model (docs/SCALING.md) here; its inputs go beside -out as capacity.json")

// Capacity is every measured input of the capacity model.
type Capacity struct {
	When    time.Time `json:"when"`
	Commit  string    `json:"commit"`
	Machine Machine   `json:"machine"`
	// Ops are the operations of the mix, each alone on the cluster rig.
	Ops []OpCost `json:"ops"`
	// BenchCPUms is cpu_ms_per_op of the standard scenarios (one serve
	// process) from the bench results, by op, when they hold it.
	BenchCPUms  map[string]float64 `json:"bench_cpu_ms,omitempty"`
	BenchCommit string             `json:"bench_commit,omitempty"`
	Projections []ProjectionCost   `json:"projections"`
	MixEvents   float64            `json:"mix_events" doc:"events the measured mixed run appended"`
	// AppendCeiling is raw replicated publishes on one R3 stream.
	AppendCeiling Load `json:"append_ceiling"`
	// SameAggregate is edits of one chatbot from every worker at once.
	SameAggregate Load `json:"same_aggregate"`
	// ApplyRate is one projection's catch-up rate (events/s), and where
	// it comes from.
	ApplyRate   float64 `json:"apply_rate"`
	ApplySource string  `json:"apply_source"`
	// ReadRate is tenant-scoped reads/s of Postgres under row security
	// from the bench results (0 when absent): a replica's read capacity.
	ReadRate float64    `json:"read_rate"`
	Cluster  ClusterRun `json:"cluster"`
	// LoadAverage is the host's 1-minute load average when the run began.
	LoadAverage float64 `json:"load_average"`
}

const capacityWorkers = 16

// runCapacity measures on the cluster rig, writes the inputs as JSON beside
// the bench results and renders the model to path.
func runCapacity(path, resultsPath string, cfg runConfig) error {
	ctx := context.Background()
	c := Capacity{When: time.Now().UTC(), Commit: commit(), Machine: machine(), LoadAverage: loadAverage()}
	c.BenchCPUms, c.BenchCommit, c.ApplyRate, c.ReadRate = benchInputs(resultsPath)
	c.ApplySource = "the event_log catch-up of the bench results (commit " + c.BenchCommit + ")"
	if c.ApplyRate == 0 {
		log.Printf("capacity: no catch-up figure in %s; measuring it", resultsPath)
		r, err := benchCatchUp(cfg)
		if err != nil {
			return err
		}
		c.ApplyRate, c.ApplySource = r.Load.Rate, "the event_log catch-up measured in this run"
	}
	rig, err := startClusterRig(ctx)
	if err != nil {
		return err
	}
	defer rig.Close()
	if err := rig.measureAll(ctx, &c, cfg.duration); err != nil {
		return err
	}
	b, _ := json.MarshalIndent(c, "", "  ")
	if err := os.WriteFile(filepath.Join(filepath.Dir(resultsPath), "capacity.json"), append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(renderScaling(c)), 0o644)
}

func (r *clusterRig) measureAll(ctx context.Context, c *Capacity, d time.Duration) error {
	s, err := r.newClusterSession(max(capacityWorkers, clusterWorkers))
	if err != nil {
		return err
	}
	for _, m := range clusterMix {
		log.Printf("capacity: %s alone", m.op)
		cost, err := r.measureOp(ctx, s, m.op, capacityWorkers, d)
		if err != nil {
			return err
		}
		c.Ops = append(c.Ops, cost)
	}
	log.Printf("capacity: the mix on the cluster")
	before, err := r.tableSizes(ctx)
	if err != nil {
		return err
	}
	first, err := r.snapshot(ctx)
	if err != nil {
		return err
	}
	if c.Cluster, err = r.mixedRun(s, clusterWorkers, max(4*d, 10*time.Second)); err != nil {
		return err
	}
	if err := r.waitProjected(ctx); err != nil {
		return err
	}
	after, err := r.tableSizes(ctx)
	if err != nil {
		return err
	}
	last, err := r.snapshot(ctx)
	if err != nil {
		return err
	}
	c.MixEvents = float64(last.msgs - first.msgs)
	c.Projections = projectionCosts(before, after, c.MixEvents)
	log.Printf("capacity: one aggregate, and the replicated append ceiling")
	c.SameAggregate = r.closedRoute(s, clusterRoutes["same_aggregate"], capacityWorkers, d)
	c.AppendCeiling, err = r.appendCeiling(ctx, 64, d)
	return err
}

// benchInputs reads cpu_ms_per_op of the standard scenarios and the
// catch-up rate from the bench results, when there are any.
func benchInputs(path string) (cpu map[string]float64, commit string, applyRate, readRate float64) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", 0, 0
	}
	var rep struct {
		Commit    string `json:"commit"`
		Scenarios []struct {
			ID    string   `json:"id"`
			Name  string   `json:"name"`
			CPUms *float64 `json:"cpu_ms_per_op"`
			Load  Load     `json:"load"`
		} `json:"scenarios"`
	}
	if json.Unmarshal(b, &rep) != nil {
		return nil, "", 0, 0
	}
	cpu = map[string]float64{}
	for _, s := range rep.Scenarios {
		op := benchOp(s.ID, s.Name)
		switch {
		case op == "catch_up":
			applyRate = s.Load.Rate
		case op == "tenant_read":
			readRate = s.Load.Rate
		case op != "" && s.CPUms != nil:
			cpu[op] = *s.CPUms
		}
	}
	return cpu, rep.Commit, applyRate, readRate
}

// benchOp is what a standard scenario measures for the model (an op of
// the mix, catch_up or tenant_read), by its id or, in older results
// without ids, its name.
func benchOp(id, name string) string {
	byID := map[string]string{"login_right": "login", "refresh": "refresh", "simple_command": "command", "cached_get": "cached_get",
		"bot_api": "bot", "catch_up": "catch_up", "tenant_read": "tenant_read"}
	if id != "" {
		return byID[id]
	}
	switch {
	case strings.HasPrefix(name, "login (right"):
		return "login"
	case strings.Contains(name, "catch-up"):
		return "catch_up"
	case strings.HasPrefix(name, "tenant-scoped read"):
		return "tenant_read"
	case strings.HasPrefix(name, "POST /v1/companies/{cid}/chatbots"):
		return "command"
	case strings.HasPrefix(name, "POST /v1/bot/messages"):
		return "bot"
	}
	return ""
}

func describeMachine(m Machine) string {
	return fmt.Sprintf("%d cores, %s, %s", m.Cores, m.CPU, m.GoVersion)
}

func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f, _ := strconv.ParseFloat(strings.Fields(string(b))[0], 64)
	return f
}
