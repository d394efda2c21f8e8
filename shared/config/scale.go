package config

import "strings"

// Scale is how the read side spreads beyond one Postgres and one
// projector: read replicas for the query API and the partitions of the
// usage projection.
type Scale struct {
	// QueryDatabaseURLs are the read replicas the query API reads from;
	// empty reads the primary (DATABASE_URL).
	QueryDatabaseURLs []string
	// UsagePartitions is how many partitions, by tenant, the usage
	// projection is consumed in; 1 is one consumer.
	UsagePartitions int
}

var scaleSettings = []Setting{
	{"QUERY_DATABASE_URL", "", "comma-separated PostgreSQL URLs of streaming read replicas of DATABASE_URL that the query API reads from, in turn (a read with X-Min-Position waits for the replica it reads); empty reads DATABASE_URL"},
	{"USAGE_PARTITIONS", "1", "partitions of the usage projection, by tenant (1 to 64): each is its own consumer and checkpoint, shared out among the projector processes; the same on every process"},
}

func init() { Settings = append(Settings, scaleSettings...) }

func (r *reader) scale() Scale {
	s := Scale{UsagePartitions: r.intRange("USAGE_PARTITIONS", 1, 64)}
	for _, u := range strings.Split(r.get("QUERY_DATABASE_URL"), ",") {
		if u = strings.TrimSpace(u); u != "" {
			s.QueryDatabaseURLs = append(s.QueryDatabaseURLs, r.databaseURLValue("QUERY_DATABASE_URL", u))
		}
	}
	return s
}
