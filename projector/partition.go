package projector

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
)

// A partitioned projection is consumed in P partitions by tenant, so that
// several projector processes share its work while each tenant's events
// are still applied in order by one writer.
//
// The partitioning is NATS's own subject mapping: a stream of the
// projection's (PartitionStream) sources its events from EVENTS through
// the transform events.*.<aggregate>.*.<Type> -> <name>.{{partition(P,1)}}.…, so each
// event lands under its tenant's partition number, and partition i is a
// durable consumer of that stream filtered to <name>.i.>. The stream is a
// work queue: a message goes once its partition has applied and
// acknowledged it, so it holds only what is not applied yet, not a second
// copy of the history. The position of an event stays its EVENTS sequence
// (the source header carries it): checkpoints, dead letters and
// X-Min-Position all speak of EVENTS.
//
// Each partition has its own checkpoint row and leadership lock
// (<name>_<i>of<P>); the projection's own row and lock remain for what
// concerns the read model as a whole: rebuild requests and their swap,
// which hold every partition's row.

// part is what a partition knows of its place.
type part struct {
	of           Projection // the whole projection
	index, count int
}

// PartitionName names partition i of n of projection name: its checkpoint
// row, its lock and its durable consumer.
func PartitionName(name string, i, n int) string {
	return name + "_" + strconv.Itoa(i) + "of" + strconv.Itoa(n)
}

// PartitionStream is the stream that feeds the partitions of name.
func PartitionStream(name string) string { return strings.ToUpper(name) + "_PARTITIONS" }

// PartitionNames are the names of p's partitions; none if p is not partitioned.
func (p Projection) PartitionNames() []string {
	var out []string
	for _, q := range p.partitions() {
		out = append(out, q.Name)
	}
	return out
}

// Of is the name of the whole projection: p's own, or that of the
// projection p is a partition of.
func (p Projection) Of() string {
	if p.part != nil {
		return p.part.of.Name
	}
	return p.Name
}

func (p Projection) partitions() []Projection {
	if p.Partitions <= 1 {
		return nil
	}
	out := make([]Projection, p.Partitions)
	for i := range out {
		q := p
		q.Name, q.Partitions, q.part = PartitionName(p.Name, i, p.Partitions), 0, &part{of: p, index: i, count: p.Partitions}
		out[i] = q
	}
	return out
}

// WithPartitions sets how many partitions the named projections have.
func WithPartitions(ps []Projection, counts map[string]int) ([]Projection, error) {
	out := slices.Clone(ps)
	for i, p := range out {
		n, ok := counts[p.Name]
		if !ok || n <= 1 {
			continue
		}
		if p.Every != nil {
			return nil, fmt.Errorf("projection %s reads every event and cannot be partitioned by tenant", p.Name)
		}
		out[i].Partitions = n
	}
	return out, nil
}

// partitionSubject is the filter of partition i on the partition stream.
func (p Projection) partitionFilter() string {
	return p.part.of.Name + "." + strconv.Itoa(p.part.index) + ".>"
}

// partitionStreamConfig is the work queue that feeds p's partitions,
// sourcing from EVENTS after start.
func (p Projection) partitionStreamConfig(replicas int, start uint64) jetstream.StreamConfig {
	var transforms []jetstream.SubjectTransformConfig
	for _, f := range p.FilterSubjects() {
		transforms = append(transforms, jetstream.SubjectTransformConfig{Source: f,
			Destination: p.Name + "." + events.PartitionMapping(p.Partitions) + "." + keepTokens(f)})
	}
	return jetstream.StreamConfig{
		Name:        PartitionStream(p.Name),
		Description: fmt.Sprintf("events of projection %s not applied yet, by partition of their tenant (%d)", p.Name, p.Partitions),
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.WorkQueuePolicy,
		Replicas:    max(replicas, 1),
		Sources:     []*jetstream.StreamSource{{Name: events.StreamName, OptStartSeq: start + 1, SubjectTransforms: transforms}},
	}
}

// keepTokens is the destination of a transform that keeps every token of
// filter after events. as it was: {{wildcard(k)}} for its k-th wildcard,
// the literal otherwise.
func keepTokens(filter string) string {
	tokens := strings.Split(filter, ".")[1:]
	k := 0
	for i, t := range tokens {
		if t == "*" {
			k++
			tokens[i] = "{{wildcard(" + strconv.Itoa(k) + ")}}"
		}
	}
	return strings.Join(tokens, ".")
}

// samePartitioning tells whether an existing partition stream maps as want.
func samePartitioning(have, want jetstream.StreamConfig) bool {
	if len(have.Sources) != 1 || len(want.Sources) != 1 || have.Sources[0].Name != want.Sources[0].Name {
		return false
	}
	return slices.Equal(have.Sources[0].SubjectTransforms, want.Sources[0].SubjectTransforms) && have.Retention == want.Retention
}

// ensurePartitionStream makes the stream that feeds p's partitions, or
// makes it again if it maps otherwise: to another number of partitions,
// or from other filters (a release that narrowed them).
func (r *Runner) ensurePartitionStream(ctx context.Context, p Projection, start uint64) error {
	want := p.partitionStreamConfig(r.opts.Replicas, start)
	for attempt := 0; ; attempt++ {
		s, err := r.deps.JS.Stream(ctx, want.Name)
		switch {
		case err == nil && samePartitioning(s.CachedInfo().Config, want):
			return nil
		case err == nil:
			// Another mapping: its messages are filed under partitions or
			// subjects that no longer exist. The rows say what is applied.
			if err := r.deps.JS.DeleteStream(ctx, want.Name); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
				return err
			}
		case !errors.Is(err, jetstream.ErrStreamNotFound):
			return err
		}
		_, err = r.deps.JS.CreateStream(ctx, want)
		if err == nil || attempt == 2 {
			return err
		}
		// Another process made it meanwhile: look again.
		sleep(ctx, 100*time.Millisecond)
	}
}

// preparePartitions gives each of p's partitions its checkpoint row and
// the stream that feeds them. A partition new to its number starts where
// the read model is known applied: the lowest checkpoint of the partitions
// it replaces, or of the projection before it was partitioned. Reducers are
// idempotent, so what some of them had applied beyond goes in again
// harmlessly. The rows of another number of partitions go.
func (r *Runner) preparePartitions(ctx context.Context, p Projection) error {
	names := p.PartitionNames()
	start, err := r.floor(ctx, p.Name, names)
	if err != nil {
		return err
	}
	end, err := streamEnd(ctx, r.deps.JS)
	if err != nil {
		return err
	}
	for _, n := range names {
		if _, err := r.deps.Pool.Exec(ctx, `INSERT INTO projection_checkpoints (name, position, rebuild_handled)
			VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING`, n, int64(start), int64(end)); err != nil {
			return err
		}
	}
	if _, err := r.deps.Pool.Exec(ctx, `DELETE FROM projection_checkpoints WHERE name LIKE $1 || '\_%of%' AND NOT name = ANY($2)`,
		p.Name, names); err != nil {
		return err
	}
	low, err := r.floor(ctx, p.Name, names)
	if err != nil {
		return err
	}
	return r.ensurePartitionStream(ctx, p, low)
}

// floor is the lowest checkpoint among the given partitions' rows, else
// among any partitions' of name, else name's own.
func (r *Runner) floor(ctx context.Context, name string, partitions []string) (uint64, error) {
	var pos int64
	err := r.deps.Pool.QueryRow(ctx, `SELECT coalesce(
		(SELECT min(position) FROM projection_checkpoints WHERE name = ANY($2)),
		(SELECT min(position) FROM projection_checkpoints WHERE name LIKE $1 || '\_%of%'),
		(SELECT position FROM projection_checkpoints WHERE name = $1), 0)`, name, partitions).Scan(&pos)
	return uint64(pos), err
}

// unpartition brings back a projection that ran partitioned to one
// consumer: its row starts at the lowest partition's checkpoint, and the
// partitions' rows and stream go.
func (r *Runner) unpartition(ctx context.Context, p Projection) error {
	var n int
	if err := r.deps.Pool.QueryRow(ctx, `SELECT count(*) FROM projection_checkpoints WHERE name LIKE $1 || '\_%of%'`, p.Name).Scan(&n); err != nil || n == 0 {
		return err
	}
	low, err := r.floor(ctx, p.Name, nil)
	if err != nil {
		return err
	}
	if _, err := r.deps.Pool.Exec(ctx, `UPDATE projection_checkpoints SET position = $2 WHERE name = $1`, p.Name, int64(low)); err != nil {
		return err
	}
	if _, err := r.deps.Pool.Exec(ctx, `DELETE FROM projection_checkpoints WHERE name LIKE $1 || '\_%of%'`, p.Name); err != nil {
		return err
	}
	// Its consumer on EVENTS acknowledged up to where the partitions took
	// over; it is made again from the row.
	if err := r.deps.JS.DeleteConsumer(ctx, events.StreamName, p.Name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return err
	}
	if err := r.deps.JS.DeleteStream(ctx, PartitionStream(p.Name)); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
		return err
	}
	return nil
}

// ensurePartitionConsumer returns partition p's durable consumer on the
// partition stream. A consumer with deliveries not acknowledged (its last
// leader died between a commit and its acks) is made again, so what it
// held comes at once rather than after AckWait; what the checkpoint covers
// is skipped.
func (r *Runner) ensurePartitionConsumer(ctx context.Context, p Projection) (jetstream.Consumer, error) {
	stream := PartitionStream(p.part.of.Name)
	cons, err := r.deps.JS.Consumer(ctx, stream, p.Name)
	if err == nil {
		info := cons.CachedInfo()
		if info.NumAckPending == 0 && info.Config.FilterSubject == p.partitionFilter() {
			return cons, nil
		}
		if err := r.deps.JS.DeleteConsumer(ctx, stream, p.Name); err != nil && !errors.Is(err, jetstream.ErrConsumerNotFound) {
			return nil, err
		}
	} else if !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil, err
	}
	return r.deps.JS.CreateOrUpdateConsumer(ctx, stream, jetstream.ConsumerConfig{
		Durable:       p.Name,
		Description:   "partition " + strconv.Itoa(p.part.index) + " of " + strconv.Itoa(p.part.count) + " of projection " + p.part.of.Name,
		FilterSubject: p.partitionFilter(),
		AckPolicy:     jetstream.AckExplicitPolicy, // a work queue's
		AckWait:       time.Minute,
		MaxDeliver:    -1,
		MaxAckPending: r.opts.BatchSize * 4,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
}

// sourceHeader carries, on a message of a partition stream, where it came
// from: "<stream> <sequence> ...".
const sourceHeader = "Nats-Stream-Source"

// originSeq is the EVENTS sequence of a message sourced into a partition
// stream, or 0 if m was not sourced.
func originSeq(m jetstream.Msg) uint64 {
	h := m.Headers()
	if h == nil {
		return 0
	}
	v := h.Get(sourceHeader)
	if v == "" {
		return 0
	}
	fields := strings.Fields(v)
	if len(fields) < 2 {
		return 0
	}
	seq, _ := strconv.ParseUint(fields[1], 10, 64)
	return seq
}
