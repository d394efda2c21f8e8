package natsx

import (
	"context"

	"github.com/nats-io/nats.go/jetstream"
)

// boundedKV bounds a bucket's reads and writes; watches and listings,
// which last, are left as they are.
type boundedKV struct {
	jetstream.KeyValue
	b *Bounded
}

func (k boundedKV) Get(ctx context.Context, key string) (jetstream.KeyValueEntry, error) {
	return bounded(k.b, ctx, func(ctx context.Context) (jetstream.KeyValueEntry, error) { return k.KeyValue.Get(ctx, key) })
}

func (k boundedKV) GetRevision(ctx context.Context, key string, revision uint64) (jetstream.KeyValueEntry, error) {
	return bounded(k.b, ctx, func(ctx context.Context) (jetstream.KeyValueEntry, error) {
		return k.KeyValue.GetRevision(ctx, key, revision)
	})
}

func (k boundedKV) Put(ctx context.Context, key string, value []byte) (uint64, error) {
	return bounded(k.b, ctx, func(ctx context.Context) (uint64, error) { return k.KeyValue.Put(ctx, key, value) })
}

func (k boundedKV) PutString(ctx context.Context, key string, value string) (uint64, error) {
	return bounded(k.b, ctx, func(ctx context.Context) (uint64, error) { return k.KeyValue.PutString(ctx, key, value) })
}

func (k boundedKV) Create(ctx context.Context, key string, value []byte, opts ...jetstream.KVCreateOpt) (uint64, error) {
	return bounded(k.b, ctx, func(ctx context.Context) (uint64, error) { return k.KeyValue.Create(ctx, key, value, opts...) })
}

func (k boundedKV) Update(ctx context.Context, key string, value []byte, revision uint64) (uint64, error) {
	return bounded(k.b, ctx, func(ctx context.Context) (uint64, error) { return k.KeyValue.Update(ctx, key, value, revision) })
}

func (k boundedKV) Delete(ctx context.Context, key string, opts ...jetstream.KVDeleteOpt) error {
	_, err := bounded(k.b, ctx, func(ctx context.Context) (struct{}, error) { return struct{}{}, k.KeyValue.Delete(ctx, key, opts...) })
	return err
}

func (k boundedKV) Purge(ctx context.Context, key string, opts ...jetstream.KVDeleteOpt) error {
	_, err := bounded(k.b, ctx, func(ctx context.Context) (struct{}, error) { return struct{}{}, k.KeyValue.Purge(ctx, key, opts...) })
	return err
}
