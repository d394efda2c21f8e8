package readmodel

import (
	"encoding/json"

	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// SubjectPrefix starts every core NATS subject of projection progress, so
// that one permission (progress.>) covers them.
const SubjectPrefix = "progress."

const (
	// StateSubject carries Announcements from the processes that lead
	// projections to every process that reads.
	StateSubject = SubjectPrefix + "state"
	// AskSubject asks every leader to announce at once; a reading process
	// sends it when it starts, to learn the current state without waiting
	// for the next periodic announcement.
	AskSubject = SubjectPrefix + "ask"
)

// Mark is how far one projection is. Checkpoint is the last stream
// position its read model applied; Through is a stream position up to
// which it misses nothing: every event of its types at or below Through
// is applied. Through is at least Checkpoint, and beyond it when the
// events after the checkpoint are none of the projection's types.
type Mark struct {
	Projection string `json:"projection"`
	Checkpoint uint64 `json:"checkpoint"`
	Through    uint64 `json:"through"`
	// Of, for a partition of a projection partitioned by tenant, names the
	// projection; Partition is its number of Partitions.
	Of         string `json:"of,omitempty"`
	Partition  int    `json:"partition,omitempty"`
	Partitions int    `json:"partitions,omitempty"`
}

// Announcement is one leader's marks of the projections it runs.
type Announcement struct {
	Marks []Mark `json:"marks"`
}

// Encode is the wire form of a.
func (a Announcement) Encode() []byte {
	b, _ := json.Marshal(a) // plain strings and integers never fail
	return b
}

// DecodeAnnouncement reads the wire form.
func DecodeAnnouncement(b []byte) (Announcement, error) {
	var a Announcement
	err := json.Unmarshal(b, &a)
	return a, err
}

// ErrLagging is the answer when projections do not catch up in time.
func ErrLagging() *apperr.Error {
	return &apperr.Error{Kind: apperr.KindUnavailable, Code: "projection_lagging",
		Message: "the data is not yet up to date with your last write; retry shortly", RetryAfter: 1}
}
