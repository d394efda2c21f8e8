package events

import (
	"fmt"
	"strings"
)

// PlatformTenant is the tenant of aggregates outside any company.
const PlatformTenant = "platform"

// SubjectPrefix starts every event subject.
const SubjectPrefix = "events"

// Subject is events.<tenant>.<aggregate_type>.<aggregate_id>.<EventType>.
func Subject(tenant, aggregateType, aggregateID, eventType string) string {
	return SubjectPrefix + "." + tenant + "." + aggregateType + "." + aggregateID + "." + eventType
}

// AggregateFilter matches every event of one aggregate.
func AggregateFilter(tenant, aggregateType, aggregateID string) string {
	return SubjectPrefix + "." + tenant + "." + aggregateType + "." + aggregateID + ".>"
}

// TypeFilter matches every event of one type, in every tenant.
func TypeFilter(eventType string) string { return TenantTypeFilter("*", eventType) }

// TenantTypeFilter matches every event of one type in tenant ("*": every
// tenant). A type of the product's registry names its aggregate: a
// filtered consumer that has seen nothing for a while makes the broker
// search its subject index for the filter, under the lock every append
// waits for, and a literal aggregate token keeps that search to the
// aggregate's own subjects instead of every subject stored.
func TenantTypeFilter(tenant, eventType string) string {
	aggregate := Default.Aggregate(eventType)
	if aggregate == "" {
		aggregate = "*"
	}
	return Subject(tenant, aggregate, "*", eventType)
}

// AllFilter matches every event.
const AllFilter = SubjectPrefix + ".>"

// ValidToken reports whether s can be one token of a subject: not empty,
// no dots, wildcards or whitespace.
func ValidToken(s string) bool {
	return s != "" && !strings.ContainsAny(s, ".*> \t\r\n")
}

// CheckTokens returns an error naming the first part that cannot be a
// subject token.
func CheckTokens(parts map[string]string) error {
	for name, v := range parts {
		if !ValidToken(v) {
			return fmt.Errorf("%s %q cannot be part of an event subject", name, v)
		}
	}
	return nil
}
