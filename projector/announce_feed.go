package projector

import (
	"slices"
	"strconv"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
)

// saw takes one event's sequence and subject from the feed.
func (a *announcer) saw(m jetstream.Msg) {
	md, err := m.Metadata()
	if err != nil {
		return
	}
	seq := md.Sequence.Stream
	a.mu.Lock()
	for i, matches := range a.matching(m.Subject()) {
		if matches && a.inPartition(i, m.Subject()) {
			a.lastMatch[a.projections[i].Name] = seq
		}
	}
	a.feed = max(a.feed, seq)
	a.mu.Unlock()
	a.signal()
}

// inPartition tells whether an event of projection i's types goes to it:
// always, unless i is a partition and the event's tenant is another's.
func (a *announcer) inPartition(i int, subject string) bool {
	pt := a.projections[i].part
	return pt == nil || events.TenantPartition(events.SubjectTenant(subject), pt.count) == pt.index
}

// matching tells, for each projection, whether its consumer's filter
// takes subject, by the server's own subject matching. Projection filters
// are events.> or events.*.<aggregate>.*.<Type> (the aggregate may be a
// wildcard too), so the answer depends only on the subject's number of
// tokens, aggregate and event type, and is remembered by those (a few
// dozen entries); a subject outside events. matches none of them. Other
// filters are matched every time. Lock held.
func (a *announcer) matching(subject string) []bool {
	key := ""
	if a.byType && !strings.HasPrefix(subject, events.SubjectPrefix+".") {
		return a.none // a timer: no projection reads it
	}
	if a.byType {
		tokens := strings.Split(subject, ".")
		aggregate := ""
		if len(tokens) > 2 {
			aggregate = tokens[2]
		}
		key = strconv.Itoa(len(tokens)) + ":" + aggregate + ":" + tokens[len(tokens)-1]
		if got, ok := a.memo[key]; ok {
			return got
		}
	}
	out := make([]bool, len(a.projections))
	for i, filters := range a.filters {
		out[i] = slices.ContainsFunc(filters, func(f string) bool { return server.SubjectMatchesFilter(subject, f) })
	}
	if a.byType {
		a.memo[key] = out
	}
	return out
}

// typeOnly reports whether every filter is events.> or has wildcards for
// every token between events and a literal event type but the aggregate's.
func typeOnly(filters [][]string) bool {
	for _, fs := range filters {
		for _, f := range fs {
			tokens := strings.Split(f, ".")
			if f == events.AllFilter {
				continue
			}
			if tokens[0] != events.SubjectPrefix || len(tokens) < 2 || strings.ContainsAny(tokens[len(tokens)-1], "*>") {
				return false
			}
			for i, t := range tokens[1 : len(tokens)-1] {
				if t != "*" && (i != 1 || strings.Contains(t, ">")) {
					return false
				}
			}
		}
	}
	return true
}
