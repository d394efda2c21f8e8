package readmodel

import (
	"context"
	"time"
)

// Status is one projection's progress, as operators read it (the
// projectors' Progress reports it).
type Status struct {
	Name           string    `json:"name"`
	Tables         []string  `json:"tables" doc:"the read model's tables; the suffix is the version"`
	Position       uint64    `json:"position"`
	StreamPosition uint64    `json:"stream_position"`
	Lag            uint64    `json:"lag"`
	State          string    `json:"state" enum:"running,stopped,rebuild_requested,rebuilding,failed" doc:"running: a process applies events; stopped: none does (no projector running); rebuild_requested: a rebuild was asked for and waits for its projector; rebuilding: the read model is built again beside the live one; failed: the last rebuild failed (rebuild_error), the live read model serves as before"`
	DeadLetters    int       `json:"dead_letters" doc:"events parked because they could not be applied"`
	UpdatedAt      time.Time `json:"updated_at"`
	// Of names the projection a partition is part of; a partitioned
	// projection's own position is its lowest partition's.
	Of         string `json:"of,omitempty" doc:"for one partition of a projection partitioned by tenant, the projection"`
	Partitions int    `json:"partitions,omitempty" doc:"how many partitions, by tenant, the projection (or the one it is part of) is consumed in"`
	// Rebuild is the progress of a running rebuild, the end of the last
	// one, or why it failed.
	RebuildPosition *uint64    `json:"rebuild_position,omitempty" doc:"events the running rebuild has applied"`
	RebuildTotal    *uint64    `json:"rebuild_total,omitempty" doc:"events the running rebuild applies in all (a few more come in its last step)"`
	RebuiltAt       *time.Time `json:"rebuilt_at,omitempty" doc:"when the last rebuild was swapped in"`
	RebuildError    *string    `json:"rebuild_error,omitempty" doc:"why the last rebuild failed"`
}

// Projection states.
const (
	StateRunning          = "running"
	StateStopped          = "stopped"
	StateRebuildRequested = "rebuild_requested"
	StateRebuilding       = "rebuilding"
	StateFailed           = "failed"
)

// Statuses tells every projection's progress; the projectors' Progress
// does, from the checkpoints and the stream, so the read side need not
// link the projectors to report them.
type Statuses interface {
	Statuses(ctx context.Context) ([]Status, error)
}
