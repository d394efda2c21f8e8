package main

import (
	"github.com/chatbotsaas/chatbot/projector"
	"github.com/chatbotsaas/chatbot/shared/config"
)

// partitionable are the projections a setting may partition by tenant.
var partitionable = []string{"usage"}

// projections are the product's projections as cfg partitions them.
func projections(cfg config.Config) []projector.Projection {
	ps, err := projector.WithPartitions(projector.All(), map[string]int{partitionable[0]: cfg.Scale.UsagePartitions})
	if err != nil {
		panic(err) // usage has typed reducers: it can always be partitioned
	}
	return ps
}
