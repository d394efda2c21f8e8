package main

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// The model's stated assumptions.
const (
	processCores = 2   // vCPUs given each chatbotd process
	targetUtil   = 0.6 // the CPU share a process, node or Redis is planned to use
	cacheHit     = 0.9 // of the reads, the share the query cache answers without Postgres
	secondsMonth = 2.592e6
	replicas     = 3 // NATS_REPLICAS
)

// mixCost is the mix's cost per request, the shares weighing each op.
type mixCost struct {
	cpu       map[string]float64 // ms per request by kind
	events    float64
	bytes     float64 // stream bytes per request, one replica
	fsyncs    float64
	redisCmds float64
	rows      float64 // Postgres rows per request, every projection
	pgBytes   float64
}

func costOfMix(c Capacity) mixCost {
	m := mixCost{cpu: map[string]float64{}}
	share := map[string]float64{}
	for _, x := range clusterMix {
		share[x.op] = x.share
	}
	for _, o := range c.Ops {
		w := share[o.Op]
		for k, v := range o.CPUms {
			m.cpu[k] += w * v
		}
		m.events += w * o.Events
		m.bytes += w * o.StreamBytes
		m.fsyncs += w * o.Fsyncs
		m.redisCmds += w * o.RedisCmds
	}
	for _, p := range c.Projections {
		m.rows += m.events * p.RowsPerEvent
		m.pgBytes += m.events * p.BytesPerEvent
	}
	return m
}

// sizing is what one load needs.
type sizing struct {
	rate                      float64
	command, query, projector int
	natsVCPU                  int // per node, three nodes
	fsyncsPerNode, eventsPerS float64
	streamTBMonth, pgGBMonth  float64
	rowsPerS, pgReadsPerS     float64
	pgReplicas                int
	redisCores                float64
}

func size(c Capacity, m mixCost, rate, readCeiling float64) sizing {
	budget := processCores * 1000 * targetUtil // CPU ms a process spends per second
	procs := func(ms float64) int { return max(2, int(math.Ceil(rate*ms/budget))) }
	getShare := 0.0
	for _, x := range clusterMix {
		if x.op == "cached_get" {
			getShare = x.share
		}
	}
	s := sizing{rate: rate, command: procs(m.cpu["command"]), query: procs(m.cpu["query"]), projector: procs(m.cpu["projector"]),
		natsVCPU:      max(2, int(math.Ceil(rate*m.cpu["nats"]/replicas/1000/targetUtil))),
		fsyncsPerNode: rate * m.fsyncs / replicas, eventsPerS: rate * m.events,
		streamTBMonth: rate * m.bytes * secondsMonth * replicas / 1e12, pgGBMonth: rate * m.pgBytes * secondsMonth / 1e9,
		rowsPerS: rate * m.rows, pgReadsPerS: rate * getShare * (1 - cacheHit), redisCores: rate * m.cpu["redis"] / 1000}
	if readCeiling > 0 {
		s.pgReplicas = int(math.Ceil(s.pgReadsPerS / (readCeiling * targetUtil)))
	}
	return s
}

// limit is a ceiling of one shared part, as the request rate of the mix
// at which it is reached.
type limit struct {
	what string
	rate float64
	why  string
}

func limits(c Capacity, m mixCost) []limit {
	var ls []limit
	if m.events > 0 {
		ls = append(ls,
			limit{"the EVENTS stream's append rate", c.AppendCeiling.Rate / m.events,
				fmt.Sprintf("one R3 stream took %.0f replicated appends/s here (%d publishers, raw, expected sequence checked); the mix appends %.3f events a request; more NATS nodes do not raise one stream's rate", c.AppendCeiling.Rate, 64, m.events)},
			limit{"one projection's apply rate", c.ApplyRate / m.events,
				fmt.Sprintf("event_log applies every event, one leader at a time: %.0f events/s (%s)", c.ApplyRate, c.ApplySource)})
	}
	if m.cpu["redis"] > 0 {
		ls = append(ls, limit{"Redis", targetUtil * 1000 / m.cpu["redis"],
			fmt.Sprintf("Redis runs commands on one core: %.4f ms of its CPU and %.2f commands a request of the mix", m.cpu["redis"], m.redisCmds)})
	}
	sort.Slice(ls, func(i, j int) bool { return ls[i].rate < ls[j].rate })
	return ls
}

func opName(op string) string {
	for _, x := range clusterMix {
		if x.op == op {
			return fmt.Sprintf("%s (%.0f%%)", clusterRoutes[op].name, 100*x.share)
		}
	}
	return op
}

func fmtRate(r float64) string {
	switch {
	case r >= 1e6:
		return fmt.Sprintf("%.1fM", r/1e6)
	case r >= 1e3:
		return fmt.Sprintf("%.1fk", r/1e3)
	}
	return fmt.Sprintf("%.0f", r)
}

func table(b *strings.Builder, head []string, rows [][]string) {
	b.WriteString("| " + strings.Join(head, " | ") + " |\n|" + strings.Repeat("---|", len(head)) + "\n")
	for _, r := range rows {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	b.WriteString("\n")
}
