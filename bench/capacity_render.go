package main

import (
	"fmt"
	"strings"
	"time"
)

// renderScaling writes docs/SCALING.md from the measured inputs: the costs,
// the cluster run, the sizings of 1k, 10k and 100k requests/s and what
// breaks first.
func renderScaling(c Capacity) string {
	var b strings.Builder
	m := costOfMix(c)
	b.WriteString("# Scaling\n\nWritten by `make capacity` (`go run ./bench -capacity docs/SCALING.md`) from what it measures " +
		"(kept in bench/results/capacity.json) and from bench/results/latest.json. Every figure is measured; the assumptions, stated below, " +
		"are constants of bench/capacity_model.go. Run it again after a change that moves a cost.\n\n")
	fmt.Fprintf(&b, "- when: %s, commit %s\n- machine: %s, load average %.1f when the run began; every process of the cluster, the database and the load on this one host\n",
		c.When.Format(time.RFC3339), c.Commit, describeMachine(c.Machine), c.LoadAverage)
	fmt.Fprintf(&b, "- the rig: 3 embedded NATS nodes (processes of their own, routes on loopback, JetStream with its own store each, "+
		"fsync on every write), EVENTS and every bucket at R3, 2 `chatbotd command`, 2 `chatbotd query`, 2 `chatbotd projector` "+
		"(usage in %d partitions), one Postgres, a Redis of its own; requests go to the processes of the kind the gateway would pick, in turn\n\n",
		usagePartitions)
	writeCosts(&b, c)
	writeCluster(&b, c.Cluster)
	writeStorage(&b, c, m)
	writeSizing(&b, c, m)
	writeLimits(&b, c, m)
	return b.String()
}

func writeCosts(b *strings.Builder, c Capacity) {
	b.WriteString("## What one operation costs\n\nEach operation alone, closed loop, " + fmt.Sprint(capacityWorkers) +
		" workers; CPU is what the processes of each kind used over the run (from /proc, and Redis's own INFO) divided by the operations done, " +
		"the projectors' counted until they had applied what the run appended. fsyncs are counted on the three nodes under strace in a second, " +
		"shorter run of the same operation (not timed); appends in flight together share the nodes' fsyncs, so the count per operation is " +
		"that of " + fmt.Sprint(capacityWorkers) + " at once and falls as concurrency rises.\n\n")
	var rows [][]string
	for _, o := range c.Ops {
		bench := "—"
		if v, ok := c.BenchCPUms[o.Op]; ok {
			bench = fmt.Sprintf("%.3f", v)
		}
		rows = append(rows, []string{opName(o.Op), fmt.Sprintf("%.0f", o.Rate), fmt.Sprintf("%.1f", o.P99ms),
			fmt.Sprintf("%.3f", o.CPUms["command"]), fmt.Sprintf("%.3f", o.CPUms["query"]), fmt.Sprintf("%.3f", o.CPUms["projector"]),
			fmt.Sprintf("%.3f", o.CPUms["nats"]), fmt.Sprintf("%.4f", o.CPUms["redis"]), bench,
			fmt.Sprintf("%.2f", o.Events), fmt.Sprintf("%.0f", o.StreamBytes), fmt.Sprintf("%.1f", o.Fsyncs), fmt.Sprintf("%.1f", o.RedisCmds)})
	}
	table(b, []string{"operation (share of the mix)", "rate/s", "p99 ms", "CPU ms command", "CPU ms query", "CPU ms projector", "CPU ms NATS (3 nodes)",
		"CPU ms Redis", "CPU ms `serve` (bench)", "events", "stream bytes", "fsyncs", "Redis commands"}, rows)
	if c.BenchCommit != "" {
		fmt.Fprintf(b, "The `serve` column is `cpu_ms_per_op` of the standard scenarios in bench/results/latest.json (commit %s), one process doing everything; "+
			"\"—\" where those results hold none. The sizing below uses the split figures measured here.\n\n", c.BenchCommit)
	}
}

func writeCluster(b *strings.Builder, r ClusterRun) {
	fmt.Fprintf(b, "## The cluster run\n\nThe mix, %d workers, closed loop, for %s on the rig; usage in %d partitions by tenant "+
		"(USAGE_PARTITIONS), shared by the two projectors.\n\n", r.Workers, r.Duration, r.Partitions)
	var rows [][]string
	for _, x := range r.Routes {
		rows = append(rows, []string{x.Route, fmt.Sprintf("%.0f%%", 100*x.Share), fmt.Sprintf("%.0f", x.Rate), fmt.Sprintf("%.1f", x.P50ms),
			fmt.Sprintf("%.1f", x.P99ms), fmt.Sprint(x.Errors)})
	}
	rows = append(rows, []string{"**all**", "100%", fmt.Sprintf("%.0f", r.Total.Rate), fmt.Sprintf("%.1f", r.Total.P50ms),
		fmt.Sprintf("%.1f", r.Total.P99ms), fmt.Sprint(r.Total.Errors)})
	table(b, []string{"route", "share", "rate/s", "p50 ms", "p99 ms", "errors"}, rows)
}

func writeStorage(b *strings.Builder, c Capacity, m mixCost) {
	b.WriteString("## What an event stores\n\n")
	perEvent := 0.0
	if m.events > 0 {
		perEvent = m.bytes / m.events
	}
	fmt.Fprintf(b, "- A request of the mix appends %.3f events of %.0f bytes each on average (stream bytes, one replica; R3 keeps three) "+
		"and costs %.2f fsyncs over the three nodes.\n", m.events, perEvent, m.fsyncs)
	fmt.Fprintf(b, "- Postgres, per event of the mixed run (%.0f events; growth of each projection's tables, heap, indexes and TOAST by `pg_total_relation_size`):\n\n", c.MixEvents)
	var rows [][]string
	for _, p := range c.Projections {
		rows = append(rows, []string{p.Name, fmt.Sprintf("%.3f", p.RowsPerEvent), fmt.Sprintf("%.0f", p.BytesPerEvent)})
	}
	table(b, []string{"projection", "rows per event", "bytes per event"}, rows)
}

func writeSizing(b *strings.Builder, c Capacity, m mixCost) {
	b.WriteString("## What 1k, 10k and 100k requests/s need\n\nAssumptions:\n\n")
	fmt.Fprintf(b, "- the mix above: %s;\n", mixDescription())
	fmt.Fprintf(b, "- each chatbotd process gets %d vCPUs of this machine's speed and is planned at %.0f%% of them; never fewer than 2 of a kind (one may fail);\n", processCores, 100*targetUtil)
	fmt.Fprintf(b, "- NATS: 3 nodes at R3 (every node stores and fsyncs every event; the nodes' CPU measured above is split evenly), planned at %.0f%%;\n", 100*targetUtil)
	fmt.Fprintf(b, "- the stream keeps every event (event sourcing: no retention limit), so R3 storage grows by the month's events times 3;\n")
	fmt.Fprintf(b, "- %.0f%% of the reads are answered by the query cache; the rest read a Postgres replica, each taking %s tenant-scoped reads/s (bench results) planned at %.0f%%;\n",
		100*cacheHit, fmtRate(c.ReadRate), 100*targetUtil)
	b.WriteString("- the Postgres primary takes every projection's writes; its size is its row rate and growth (no Postgres CPU was isolated: the server is shared on this host).\n\n")
	fmt.Fprintf(b, "A request of the mix costs %s.\n\n", describeMixCPU(c, m))
	var rows [][]string
	for _, rate := range []float64{1000, 10000, 100000} {
		s := size(c, m, rate, c.ReadRate)
		replicas := "—"
		if c.ReadRate > 0 {
			replicas = fmt.Sprint(s.pgReplicas)
		}
		rows = append(rows, []string{fmtRate(rate), fmt.Sprint(s.command), fmt.Sprint(s.query), fmt.Sprint(s.projector),
			fmt.Sprintf("3 × %d vCPU", s.natsVCPU), fmt.Sprintf("%s/s", fmtRate(s.eventsPerS)), fmt.Sprintf("%s/s", fmtRate(s.fsyncsPerNode)),
			fmt.Sprintf("%.2f TB", s.streamTBMonth), fmt.Sprintf("%s rows/s, %.0f GB/month", fmtRate(s.rowsPerS), s.pgGBMonth),
			fmt.Sprintf("%s (%s reads/s)", replicas, fmtRate(s.pgReadsPerS)), fmt.Sprintf("%.2f", s.redisCores)})
	}
	table(b, []string{"requests/s", "command", "query", "projector", "NATS nodes", "events", "fsyncs per node", "R3 storage per month",
		"Postgres primary", "Postgres replicas", "Redis cores"}, rows)
}

func writeLimits(b *strings.Builder, c Capacity, m mixCost) {
	b.WriteString("## What breaks first\n\nEach shared part's ceiling as the request rate of the mix at which it is reached, lowest first; " +
		"adding command, query or projector processes moves none of them.\n\n")
	for i, l := range limits(c, m) {
		fmt.Fprintf(b, "%d. **%s** at about %s requests/s: %s.\n", i+1, l.what, fmtRate(l.rate), l.why)
	}
	fmt.Fprintf(b, "\n- **Per-aggregate contention** is not a rate of the mix but of one aggregate: %d workers editing one chatbot at once "+
		"got %.0f edits/s (p99 %.1f ms, %d refused), each append waiting for the previous one's replicated acknowledgement "+
		"(the expected-sequence check). One user's logins, one chatbot's edits or one company's member changes cannot go faster, "+
		"however many processes run; the mix spreads its writes over many aggregates.\n",
		capacityWorkers, c.SameAggregate.Rate, c.SameAggregate.P99ms, c.SameAggregate.Errors)
	b.WriteString("- Past the stream's rate, EVENTS would have to be split (by tenant, into several streams); past one projection's rate, " +
		"that projection must be partitioned (by tenant, each partition its own consumer and checkpoint); past one Redis, " +
		"the limit and quota keys must be spread over a Redis Cluster (they are per key, so they shard by key).\n")
}

func mixDescription() string {
	var parts []string
	for _, x := range clusterMix {
		parts = append(parts, opName(x.op))
	}
	return strings.Join(parts, ", ")
}

// describeMixCPU says what a request of the mix costs each kind of
// process, and which operation is most of the command processes' part.
func describeMixCPU(c Capacity, m mixCost) string {
	var parts []string
	for _, k := range costKinds {
		parts = append(parts, fmt.Sprintf("%.3f CPU ms of %s", m.cpu[k], k))
	}
	top, most := "", 0.0
	for _, o := range c.Ops {
		for _, x := range clusterMix {
			if x.op == o.Op && x.share*o.CPUms["command"] > most {
				top, most = o.Op, x.share*o.CPUms["command"]
			}
		}
	}
	if m.cpu["command"] > 0 {
		parts = append(parts, fmt.Sprintf("%s is %.0f%% of the command processes' part", clusterRoutes[top].name, 100*most/m.cpu["command"]))
	}
	return strings.Join(parts, ", ")
}
