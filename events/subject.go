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
func TypeFilter(eventType string) string { return SubjectPrefix + ".*.*.*." + eventType }

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
