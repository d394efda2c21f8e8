package main

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// clusterMix is the realistic mix of the cluster run and the capacity
// model, by share of requests: a chatbot SaaS is mostly its bots' traffic,
// then dashboards reading, then the few writes and sign-ins of people.
var clusterMix = []struct {
	op    string
	share float64
}{
	{"bot", 0.70}, {"cached_get", 0.20}, {"command", 0.05}, {"refresh", 0.04}, {"login", 0.01},
}

// RouteLoad is one route's part of a mixed run.
type RouteLoad struct {
	Op    string  `json:"op"`
	Route string  `json:"route"`
	Share float64 `json:"share"`
	Load
}

// ClusterRun is the mixed load on the cluster rig.
type ClusterRun struct {
	Duration   string      `json:"duration"`
	Workers    int         `json:"workers"`
	Partitions int         `json:"usage_partitions" doc:"partitions of the usage projection, shared by the projectors"`
	Total      Load        `json:"total"`
	Routes     []RouteLoad `json:"routes"`
}

const clusterWorkers = 32

var clusterFor = flag.Duration("cluster", 0, "run only the cluster run (the mix on 3 NATS nodes at R3, two each of command, query and projector) for this long and print its routes")

// runClusterModes runs -capacity or -cluster, when one is asked for.
func runClusterModes(cfg runConfig, results string) (bool, error) {
	switch {
	case *capacityOut != "":
		return true, runCapacity(*capacityOut, results, cfg)
	case *clusterFor > 0:
		return true, runClusterOnly(*clusterFor)
	}
	return false, nil
}

// runClusterOnly runs the mix on the cluster rig for d and prints each route.
func runClusterOnly(d time.Duration) error {
	rig, err := startClusterRig(context.Background())
	if err != nil {
		return err
	}
	defer rig.Close()
	s, err := rig.newClusterSession(clusterWorkers)
	if err != nil {
		return err
	}
	run, err := rig.mixedRun(s, clusterWorkers, d)
	if err != nil {
		return err
	}
	var b strings.Builder
	writeCluster(&b, run)
	fmt.Print(b.String())
	return nil
}

// mixedRun sends the mix from workers for d, each request to the next
// process of the kind that serves its route, and reports each route.
func (r *clusterRig) mixedRun(s *clusterSession, workers int, d time.Duration) (ClusterRun, error) {
	var mu sync.Mutex
	took := map[string][]time.Duration{}
	errs := map[string]int{}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ctx.Err() == nil; n++ {
				op := pickOp()
				route := clusterRoutes[op]
				bases := r.bases[route.kind]
				t0 := time.Now()
				ok := route.do(s, bases[(w+n)%len(bases)], w)
				mu.Lock()
				if ok {
					took[op] = append(took[op], time.Since(t0))
				} else {
					errs[op]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	run := ClusterRun{Duration: d.String(), Workers: workers, Partitions: usagePartitions}
	var all []time.Duration
	for _, m := range clusterMix {
		ds := took[m.op]
		all = append(all, ds...)
		run.Routes = append(run.Routes, RouteLoad{Op: m.op, Route: clusterRoutes[m.op].name, Share: m.share, Load: loadOf(ds, errs[m.op], elapsed)})
	}
	total := 0
	for _, n := range errs {
		total += n
	}
	run.Total = loadOf(all, total, elapsed)
	return run, r.alive()
}

func pickOp() string {
	x := rand.Float64()
	for _, m := range clusterMix {
		if x < m.share {
			return m.op
		}
		x -= m.share
	}
	return clusterMix[0].op
}

func loadOf(ds []time.Duration, errors int, elapsed time.Duration) Load {
	ds = slices.Clone(ds)
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return Load{Requests: len(ds), Errors: errors, Rate: float64(len(ds)) / elapsed.Seconds(),
		P50ms: pct(ds, 0.50), P99ms: pct(ds, 0.99), P999ms: pct(ds, 0.999)}
}
