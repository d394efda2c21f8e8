package events

// AggregateProjection is the type of the aggregates that record operations
// on a read model; the id is the projection's name.
const AggregateProjection = "projection"

// ProjectionRebuildRequested is an operator asking for a read model to be
// built again from the stream.
const ProjectionRebuildRequested = "ProjectionRebuildRequested"

// ProjectionRebuildRequestedData names the projection.
type ProjectionRebuildRequestedData struct {
	Projection string `json:"projection"`
}

func init() {
	Register[ProjectionRebuildRequestedData](Default, ProjectionRebuildRequested, 1,
		"an operator asked for a projection to be rebuilt from the stream")
	Default.Owns(AggregateProjection, ProjectionRebuildRequested)
}
