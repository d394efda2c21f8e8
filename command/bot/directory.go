// Package bot is the metered bot API: POST /v1/bot/messages, authenticated
// by a chatbot's API key, rate-limited and counted.
package bot

import (
	"context"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/command/domain/chatbot"
	"github.com/chatbotsaas/chatbot/command/domain/company"
)

// The directory is what a call needs to know, all of it in memory and
// compact, so that a call reads no store and memory grows with the keys,
// chatbots and companies there are, not with their history:
//   - every key's owner, in a compact index (12 bytes a key);
//   - every chatbot as the domain folds it (chatbot.Apply), without what no
//     call reads, with its live keys (40 bytes a key) and its settings
//     shared with every chatbot that has the same;
//   - every company as the domain folds it.
//
// It starts from a snapshot in the object store and applies the events
// after it, then follows the stream. That a change made through any process
// counts from the very next call in every process is kept by the members'
// protocol (members.go): the change waits until every process has applied
// it, and a process that cannot say it is up to date serves no call.

// Directory is safe for concurrent use.
type Directory struct {
	keys      *keyIndex
	stream    jetstream.Stream
	end       *streamEnd // nil until Follow
	snapshots *indexSnapshots
	log       *slog.Logger
	applied   applied  // every event up to here is applied
	members   *members // nil until Follow
	lease     *lease   // nil until Follow

	snapshotEvery uint64
}

// NewDirectory returns an empty directory; Follow fills it.
func NewDirectory() *Directory {
	return &Directory{keys: newKeyIndex(), log: slog.Default(), snapshotEvery: snapshotEvery}
}

// Found is a key with its chatbot and company as the stream holds them now.
// The chatbot and company are shared: never change them. The chatbot has
// what calls read (status, settings, limits), not its name or keys.
type Found struct {
	Key     chatbot.Key
	Chatbot *chatbot.Chatbot
	Company *company.Company
}

// Lookup finds the live key with this hash. A key the index does not know
// may be one issued a moment ago through another process: the index first
// catches up with the last key issued anywhere. While the directory cannot
// say it is up to date, Lookup fails (503).
func (d *Directory) Lookup(ctx context.Context, hash string) (Found, bool, error) {
	if d.lease != nil {
		if err := d.lease.check(); err != nil {
			return Found{}, false, err
		}
	}
	f, ok, indexed := d.keys.find(hash)
	if ok || indexed {
		return f, ok, nil
	}
	if err := d.freshKeys(ctx); err != nil {
		return Found{}, false, err
	}
	f, ok, _ = d.keys.find(hash)
	return f, ok, nil
}

// Confirm waits until every process serving bot calls has applied the
// event at position, or a bound (about 2 s) passes, after which a process
// that has not applied it serves no call until it has. A change that makes
// calls fail answers only after it.
func (d *Directory) Confirm(ctx context.Context, position uint64) (Confirmation, error) {
	if d.members == nil {
		return Confirmation{All: true}, nil
	}
	return d.members.confirm(position), nil
}

// freshKeys waits until the index holds every key issued anywhere before
// the lookup began: every event up to the stream's last position then.
// When that position cannot be read in time the directory cannot say the
// key is unknown, and the call is refused as unavailable (503), as while
// it lags.
func (d *Directory) freshKeys(ctx context.Context) error {
	if d.end == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	last, err := d.end.last(ctx)
	if err != nil {
		return errLagging
	}
	if err := d.applied.reach(ctx, last); err != nil {
		return errLagging
	}
	return nil
}

// AwaitApplied is Confirm for the commands (app.Propagation): the change is
// stored either way, and a process that did not confirm serves no call.
func (d *Directory) AwaitApplied(ctx context.Context, position uint64) error {
	_, err := d.Confirm(ctx, position)
	return err
}
