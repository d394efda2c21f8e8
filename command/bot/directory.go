// Package bot is the metered bot API: POST /v1/bot/messages, authenticated
// by a chatbot's API key, rate-limited and counted.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
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
//     a snapshot in the object store and follows the ApiKeyIssued events after
//     it;
//   - the chatbots and companies calls used last, as the domain folds them
//     (chatbot.Chatbot, company.Company), each with the stream sequence it is
//     at.
//
// A call asks the stream for the last sequence of its chatbot and of its
// company (one direct get each) and reads the events after the state it
// holds, if any: a key revoked, a chatbot paused or deleted, a company
// suspended through any process counts from the very next call.

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
// up with the last key issued anywhere.
func (d *Directory) Lookup(ctx context.Context, hash string) (Found, bool, error) {
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
	ref := eventstore.Ref{Tenant: o.tenant, Type: events.AggregateChatbot, ID: o.id}
	return fresh(ctx, d.store, d.bots, ref, func(c *chatbot.Chatbot) *chatbot.Chatbot {
		next := *c
		next.Keys = slices.Clone(c.Keys)
		return &next
	})
}

func (d *Directory) company(ctx context.Context, id string) (*company.Company, error) {
	ref := eventstore.Ref{Tenant: id, Type: events.AggregateCompany, ID: id}
	return fresh(ctx, d.store, d.companies, ref, func(c *company.Company) *company.Company {
		next := *c
		next.Managers = slices.Clone(c.Managers)
		return &next
	})
}

// fresh returns the aggregate's state as of its last stored event: the
// kept one if it is there already, else a copy of it (or a new state)
// brought up to that event.
func fresh[T any, A interface {
	*T
	eventstore.Aggregate
}](ctx context.Context, store *eventstore.Store, kept *states[T], ref eventstore.Ref, copyOf func(*T) *T) (*T, error) {
	last, err := store.Last(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("bot directory: %w", err)
	}
	key := ref.String()
	state, at, ok := kept.get(key)
	if ok && at.Seq >= last.Seq {
		return state, nil
	}
	next := new(T)
	if ok {
		next = copyOf(state)
	} else {
		at = eventstore.Loaded{}
	}
	loaded, err := store.CatchUp(ctx, ref, A(next), at, last)
	if err != nil {
		return nil, fmt.Errorf("bot directory: %w", err)
	}
	kept.put(key, next, eventstore.Loaded{Seq: loaded.Seq, Version: loaded.Version})
	return next, nil
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
	deadline := time.Now().Add(2 * time.Second)
	for pause := 100 * time.Microsecond; d.keys.at() < msg.Sequence; pause = min(pause*2, 10*time.Millisecond) {
		if time.Now().After(deadline) {
			return errors.New("bot directory: lagging behind the stream")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
	}
	return nil
}
