package eventstore

import (
	"strings"

	"github.com/chatbotsaas/chatbot/events"
)

// Aggregate is the state of one aggregate, folded from its events. Its
// exported fields are its snapshot, so they must survive a JSON round trip.
type Aggregate interface {
	// Apply folds one event into the state. It cannot fail: the event happened.
	Apply(e events.Envelope, data any)
}

// SnapshotVersioner lets an aggregate invalidate old snapshots when its
// state's shape changes; without it the version is 1.
type SnapshotVersioner interface {
	SnapshotVersion() int
}

// Ref names one aggregate.
type Ref struct {
	Tenant string
	Type   string
	ID     string
}

// Filter matches every event of the aggregate.
func (r Ref) Filter() string { return events.AggregateFilter(r.Tenant, r.Type, r.ID) }

// key is the aggregate's key in the snapshot bucket and the cache.
func (r Ref) key() string { return r.Tenant + "." + r.Type + "." + r.ID }

func (r Ref) check() error {
	return events.CheckTokens(map[string]string{"tenant": r.Tenant, "aggregate type": r.Type, "aggregate id": r.ID})
}

func (r Ref) String() string { return strings.Join([]string{r.Tenant, r.Type, r.ID}, "/") }

// Loaded says where an aggregate's history ended when it was loaded: the
// stream sequence of its last event (0 for a new aggregate) and how many
// events it has.
type Loaded struct {
	Seq     uint64
	Version int64

	// Replayed is how many events this load read from the stream (the rest
	// came from memory or a snapshot).
	Replayed int `json:"-"`
}

// Appended is the outcome of an append: the stored envelopes, with their
// positions, and the position of the last one.
type Appended struct {
	Position  uint64
	Envelopes []events.Envelope
}
