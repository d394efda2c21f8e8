package config

// Scale is how the read side spreads beyond one projector: the
// partitions of the usage projection.
type Scale struct {
	// UsagePartitions is how many partitions, by tenant, the usage
	// projection is consumed in; 1 is one consumer.
	UsagePartitions int
}

var scaleSettings = []Setting{
	{"USAGE_PARTITIONS", "1", "partitions of the usage projection, by tenant (1 to 64): each is its own consumer and checkpoint, shared out among the projector processes; the same on every process"},
}

func init() { Settings = append(Settings, scaleSettings...) }

func (r *reader) scale() Scale {
	return Scale{UsagePartitions: r.intRange("USAGE_PARTITIONS", 1, 64)}
}
