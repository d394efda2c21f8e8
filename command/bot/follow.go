package bot

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
)

// Follow loads the key index's snapshot, then applies every event after it
// and every new one, until ctx ends. It returns once the directory holds
// every event stored when it began and its lease holds; from then on it
// writes a new snapshot whenever enough keys or events came after the last
// one.
func (d *Directory) Follow(ctx context.Context, js jetstream.JetStream, replicas int, log *slog.Logger) error {
	d.log = log
	stream, err := js.Stream(ctx, events.StreamName)
	if err != nil {
		return err
	}
	d.stream = stream
	d.end = &streamEnd{read: func(ctx context.Context) (uint64, error) {
		info, err := stream.Info(ctx)
		if err != nil {
			// Logged once per read, however many lookups shared it.
			d.log.Warn("bot directory: the stream's last position not read; unknown keys answer unavailable", "err", err)
			return 0, err
		}
		return info.State.LastSeq, nil
	}}
	obs, err := js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket: SnapshotBucket, Description: "the bot directory's key index (key hash prefix → chatbot) and the stream position it covers",
		Storage: jetstream.FileStorage, Replicas: max(replicas, 1),
	})
	if err != nil {
		return fmt.Errorf("bot directory: %w", err)
	}
	// Announce first: the lease may count only a beat after the other
	// members heard of this one, which then passes during the catch-up.
	d.members = newMembers(js.Conn(), &d.applied, log)
	if err := d.members.start(ctx); err != nil {
		return fmt.Errorf("bot directory: %w", err)
	}
	d.lease = newLease(stream, &d.applied, d.members.born, log)
	d.lease.joinAt = d.members.now() + beat
	info := stream.CachedInfo()
	d.snapshots = &indexSnapshots{obs: obs, stream: strconv.FormatInt(info.Created.UnixNano(), 10)}
	began := time.Now()
	if x := d.snapshots.read(ctx, info.State.LastSeq, log); x != nil {
		d.keys = x
		d.snapshots.keys.Store(uint64(x.size()))
		d.snapshots.position.Store(x.position)
	}
	read := time.Since(began)
	from := d.keys.at()
	d.applied.advance(from)
	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
	if from > 0 {
		cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, from+1
	}
	if err := d.consume(ctx, js, cfg); err != nil {
		return err
	}
	if err := d.firstLease(ctx); err != nil {
		return err
	}
	log.Info("bot directory ready", "keys", d.keys.size(), "snapshot_position", from, "position", d.applied.load(),
		"snapshot_read", read.Round(time.Millisecond), "took", time.Since(began).Round(time.Millisecond))
	go d.lease.run(ctx)
	go d.snapshotLoop(ctx)
	return nil
}

// firstLease renews the lease as soon as it may count.
func (d *Directory) firstLease(ctx context.Context) error {
	if wait := d.lease.joinAt - d.members.now(); wait > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
	var err error
	for range 3 {
		if err = d.lease.renew(ctx); err == nil {
			return nil
		}
	}
	return fmt.Errorf("bot directory: cannot confirm it is up to date: %w", err)
}

// consume applies every event from cfg's start on, in stream order, and
// returns once it has applied every event stored when it began.
func (d *Directory) consume(ctx context.Context, js jetstream.JetStream, cfg jetstream.OrderedConsumerConfig) error {
	cons, err := js.OrderedConsumer(ctx, events.StreamName, cfg)
	if err != nil {
		return fmt.Errorf("bot directory: %w", err)
	}
	ready := make(chan struct{})
	var once sync.Once
	if cons.CachedInfo().NumPending == 0 {
		once.Do(func() { close(ready) })
	}
	cc, err := cons.Consume(func(m jetstream.Msg) {
		md, err := m.Metadata()
		if err != nil {
			return
		}
		if err := d.apply(m.Subject(), m.Data(), md.Sequence.Stream); err != nil {
			d.log.Error("bot directory: event skipped", "position", md.Sequence.Stream, "err", err)
		}
		if md.NumPending == 0 {
			once.Do(func() { close(ready) })
		}
	})
	if err != nil {
		return fmt.Errorf("bot directory: %w", err)
	}
	context.AfterFunc(ctx, cc.Stop)
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(coldWithin):
		return fmt.Errorf("bot directory could not be read within %v", coldWithin)
	}
}

// apply applies one stored event: a chatbot's or a company's is folded into
// what the directory holds of it; then the directory is through it.
func (d *Directory) apply(subject string, data []byte, position uint64) error {
	var err error
	if tenant, typ, id, _, ok := subjectTokens(subject); ok && (typ == events.AggregateChatbot || typ == events.AggregateCompany) {
		err = d.fold(tenant, typ, id, data, position)
	}
	d.keys.through(position)
	d.applied.advance(position)
	d.members.moved()
	return err
}

// fold decodes one chatbot or company event and folds it in.
func (d *Directory) fold(tenant, typ, id string, data []byte, position uint64) error {
	env, err := events.Unmarshal(data, position)
	if err != nil {
		return err
	}
	decoded, err := events.Default.Decode(&env)
	if err != nil {
		return err
	}
	if typ == events.AggregateChatbot {
		d.keys.applyChatbot(owner{tenant: tenant, id: id}, env, decoded, position)
	} else {
		d.keys.applyCompany(id, env, decoded, position)
	}
	return nil
}

// subjectTokens reads events.<tenant>.<aggregate_type>.<aggregate_id>.<EventType>.
func subjectTokens(subject string) (tenant, typ, id, evType string, ok bool) {
	rest, ok := strings.CutPrefix(subject, events.SubjectPrefix+".")
	if !ok {
		return "", "", "", "", false
	}
	tenant, rest, ok1 := strings.Cut(rest, ".")
	typ, rest, ok2 := strings.Cut(rest, ".")
	id, evType, ok3 := strings.Cut(rest, ".")
	ok = ok1 && ok2 && ok3 && !strings.Contains(evType, ".")
	return tenant, typ, id, evType, ok
}
