// Package bot is the metered bot API: POST /v1/bot/messages, authenticated
// by a chatbot's API key, rate-limited and counted.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/command/domain/chatbot"
	"github.com/chatbotsaas/chatbot/command/domain/company"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
)

// The directory is what a call needs to know, kept so that memory follows
// what is called, not what is stored:
//   - every key's owner, in a compact index (12 bytes a key) that starts from
//     a snapshot in the object store and follows the events after it;
//   - the chatbots and companies calls used last, as the domain folds them
//     (chatbot.Chatbot, company.Company), each with the stream sequence it is
//     at.
//
// A call reads memory only. The directory follows every event of the
// stream and drops a kept chatbot or company when an event of it arrives;
// the next call loads it again. That a change made through any process
// counts from the very next call in every process is kept by the members'
// protocol (members.go): the change waits until every process has applied
// it, and a process that cannot say it is up to date serves no call.

// CacheSize is how many chatbots, and how many companies, a directory keeps
// folded by default.
const CacheSize = 4096

// Directory is safe for concurrent use.
type Directory struct {
	store     *eventstore.Store
	keys      *keyIndex
	bots      *states[chatbot.Chatbot]
	companies *states[company.Company]
	stream    jetstream.Stream
	snapshots *indexSnapshots
	log       *slog.Logger
	applied   applied  // every event up to here is applied
	members   *members // nil until Follow
	lease     *lease   // nil until Follow

	snapshotEvery uint64
}

// NewDirectory returns a directory that folds from store, keeping at most
// size chatbots and size companies.
func NewDirectory(store *eventstore.Store, size int) *Directory {
	return &Directory{store: store, keys: newKeyIndex(), bots: newStates[chatbot.Chatbot](size),
		companies: newStates[company.Company](size), log: slog.Default(), snapshotEvery: snapshotEvery}
}

// Found is a key with its chatbot and company as the stream holds them now.
// The chatbot and company are shared: never change them.
type Found struct {
	Key     chatbot.Key
	Chatbot *chatbot.Chatbot
	Company *company.Company
}

// Lookup finds the key with this hash. A key the index does not know may be
// one issued a moment ago through another process: the index first catches
// up with the last key issued anywhere. While the directory cannot say it
// is up to date, Lookup fails (503).
func (d *Directory) Lookup(ctx context.Context, hash string) (Found, bool, error) {
	if d.lease != nil {
		if err := d.lease.check(); err != nil {
			return Found{}, false, err
		}
	}
	owners := d.keys.candidates(hash)
	if len(owners) == 0 {
		if err := d.freshKeys(ctx); err != nil {
			return Found{}, false, err
		}
		if owners = d.keys.candidates(hash); len(owners) == 0 {
			return Found{}, false, nil
		}
	}
	for _, o := range owners {
		bot, err := d.chatbot(ctx, o)
		if err != nil {
			return Found{}, false, err
		}
		key, ok := bot.KeyWithHash(hash)
		if !ok {
			continue // another key with the same first 64 bits
		}
		co, err := d.company(ctx, o.tenant)
		if err != nil {
			return Found{}, false, err
		}
		return Found{Key: key, Chatbot: bot, Company: co}, true, nil
	}
	return Found{}, false, nil
}

func (d *Directory) chatbot(ctx context.Context, o owner) (*chatbot.Chatbot, error) {
	return kept[chatbot.Chatbot](ctx, d.store, d.bots, eventstore.Ref{Tenant: o.tenant, Type: events.AggregateChatbot, ID: o.id})
}

func (d *Directory) company(ctx context.Context, id string) (*company.Company, error) {
	return kept[company.Company](ctx, d.store, d.companies, eventstore.Ref{Tenant: id, Type: events.AggregateCompany, ID: id})
}

// kept returns the aggregate's state: the kept one, else one loaded from
// the store (and kept, unless an event of it arrived meanwhile).
func kept[T any, A interface {
	*T
	eventstore.Aggregate
}](ctx context.Context, store *eventstore.Store, states *states[T], ref eventstore.Ref) (*T, error) {
	key := ref.String()
	if state, _, ok := states.get(key); ok {
		return state, nil
	}
	t := states.begin(key)
	state := new(T)
	loaded, err := store.Load(ctx, ref, A(state))
	if err != nil {
		states.finish(key, t, nil, eventstore.Loaded{})
		return nil, fmt.Errorf("bot directory: %w", err)
	}
	states.finish(key, t, state, eventstore.Loaded{Seq: loaded.Seq, Version: loaded.Version})
	return state, nil
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

// freshKeys waits until the index holds the last key issued anywhere.
func (d *Directory) freshKeys(ctx context.Context) error {
	if d.stream == nil {
		return nil
	}
	msg, err := d.stream.GetLastMsgForSubject(ctx, events.TypeFilter(events.ApiKeyIssued))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("bot directory: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := d.applied.reach(ctx, msg.Sequence); err != nil {
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
