// Package devseed fills an empty event stream with many companies,
// chatbots and API keys, fast, for measuring a deployment at scale. It
// publishes the events the commands would have appended, asynchronously
// and without the per-aggregate checks, which only an empty stream makes
// safe.
package devseed

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/command/domain/chatbot"
	"github.com/chatbotsaas/chatbot/events"
)

// Options say what to seed.
type Options struct {
	Tenants        int    // companies the chatbots are spread over
	Chatbots       int    // chatbots in all
	KeysPerChatbot int    // API keys of each chatbot, at most chatbot.MaxLiveKeys
	Seed           string // derives the keys, so a load tool can call with them
	Force          bool   // seed a stream that holds events already
}

// Seeded is what was appended.
type Seeded struct {
	Events   int
	Position uint64 // of the last one
	Took     time.Duration
}

// ErrNotEmpty refuses to seed a stream that holds events already: the seeded
// aggregates skip the store's concurrency checks.
var ErrNotEmpty = errors.New("the event stream is not empty (seed only a fresh one, or force it)")

// inFlight bounds the publishes awaiting their acknowledgement.
const inFlight = 4096

// Run appends, per company, CompanyRegistered; per chatbot, ChatbotCreated
// and its keys' ApiKeyIssued.
func Run(ctx context.Context, js jetstream.JetStream, o Options) (Seeded, error) {
	if err := o.check(); err != nil {
		return Seeded{}, err
	}
	stream, err := js.Stream(ctx, events.StreamName)
	if err != nil {
		return Seeded{}, err
	}
	if n := stream.CachedInfo().State.Msgs; n > 0 && !o.Force {
		return Seeded{}, fmt.Errorf("%w: %d messages", ErrNotEmpty, n)
	}
	began := time.Now()
	p := publisher{js: js}
	for t := range o.Tenants {
		tenant := TenantID(o.Seed, t)
		p.add(ctx, tenant, events.AggregateCompany, tenant, 1, events.CompanyRegistered, events.CompanyRegisteredData{Name: fmt.Sprintf("Seeded %d", t)})
	}
	for b := range o.Chatbots {
		tenant, id := TenantID(o.Seed, b%o.Tenants), ChatbotID(o.Seed, b)
		p.add(ctx, tenant, events.AggregateChatbot, id, 1, events.ChatbotCreated, events.ChatbotCreatedData{
			Name: fmt.Sprintf("Bot %d", b), Settings: settings})
		for k := range o.KeysPerChatbot {
			key := Key(o.Seed, b, k)
			p.add(ctx, tenant, events.AggregateChatbot, id, int64(k)+2, events.ApiKeyIssued, events.ApiKeyIssuedData{
				KeyID: KeyID(o.Seed, b, k), Name: fmt.Sprintf("key %d", k),
				KeyHash: chatbot.HashKey(key), Prefix: key[:8], Last4: key[len(key)-4:]})
		}
		if p.err != nil {
			return Seeded{}, p.err
		}
	}
	if err := p.wait(ctx); err != nil {
		return Seeded{}, err
	}
	return Seeded{Events: p.n, Position: p.last, Took: time.Since(began)}, nil
}

func (o Options) check() error {
	switch {
	case o.Tenants < 1 || o.Chatbots < 0:
		return errors.New("at least one tenant, and no negative number of chatbots")
	case o.KeysPerChatbot < 0 || o.KeysPerChatbot > chatbot.MaxLiveKeys:
		return fmt.Errorf("keys per chatbot: 0 to %d", chatbot.MaxLiveKeys)
	}
	return nil
}

// settings are every seeded chatbot's: a fallback and two keyword replies.
var settings = events.ChatbotSettings{Greeting: "Hello!", FallbackReply: "Sorry, I did not get that.", Replies: []events.KeywordReply{
	{Keywords: []string{"price", "cost"}, Reply: "It costs 10 EUR."},
	{Keywords: []string{"hours"}, Reply: "We are open 9 to 5."}}}

// TenantID is the id of seeded company n.
func TenantID(seed string, n int) string { return uuidFrom(seed, "company", n) }

// ChatbotID is the id of seeded chatbot n.
func ChatbotID(seed string, n int) string { return uuidFrom(seed, "chatbot", n) }

// Key is the secret of key k of seeded chatbot b: derived from the seed,
// so whoever knows the seed can call the seeded chatbots. Development only.
func Key(seed string, b, k int) string {
	return chatbot.FormatKey([32]byte(derive(seed, "secret", b*chatbot.MaxLiveKeys+k)))
}

// uuidFrom is a version 4 UUID whose random bits are derived.
// KeyID is the id of seeded chatbot b's key k.
func KeyID(seed string, b, k int) string { return uuidFrom(seed, "key", b*chatbot.MaxLiveKeys+k) }

func uuidFrom(seed, kind string, n int) string {
	var id uuid.UUID
	copy(id[:], derive(seed, kind, n))
	id[6] = id[6]&0x0f | 0x40
	id[8] = id[8]&0x3f | 0x80
	return id.String()
}

func derive(seed, kind string, n int) []byte {
	mac := hmac.New(sha256.New, []byte(seed))
	mac.Write([]byte(kind))
	mac.Write(binary.BigEndian.AppendUint64(nil, uint64(n)))
	return mac.Sum(nil)
}

// publisher appends envelopes asynchronously, a bounded number at a time.
type publisher struct {
	js      jetstream.JetStream
	pending []jetstream.PubAckFuture
	n       int
	last    uint64
	err     error
}

func (p *publisher) add(ctx context.Context, tenant, aggType, aggID string, version int64, typ string, data any) {
	if p.err != nil {
		return
	}
	msg, err := message(tenant, aggType, aggID, version, typ, data)
	if err != nil {
		p.err = err
		return
	}
	// More may be in flight than the connection allows (its limit, 4000
	// by default, is the caller's): wait out a stall rather than fail.
	f, err := p.js.PublishMsgAsync(msg, jetstream.WithStallWait(30*time.Second))
	if err != nil {
		p.err = err
		return
	}
	p.pending = append(p.pending, f)
	p.n++
	if len(p.pending) == inFlight {
		p.err = p.wait(ctx)
	}
}

// wait blocks until every publish so far is acknowledged.
func (p *publisher) wait(ctx context.Context) error {
	for _, f := range p.pending {
		select {
		case ack := <-f.Ok():
			p.last = max(p.last, ack.Sequence)
		case err := <-f.Err():
			return err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	p.pending = p.pending[:0]
	return nil
}

// message is the stored form of one event, as the store would write it,
// but without a Nats-Msg-Id: the seed is a history, not a publish that may
// be retried, so the stream's duplicate window does not hold it (a history
// written over months would not be in it either).
func message(tenant, aggType, aggID string, version int64, typ string, data any) (*nats.Msg, error) {
	if owner := events.Default.Aggregate(typ); owner != aggType {
		return nil, fmt.Errorf("seed: %s is recorded on %s aggregates, not on %s", typ, owner, aggType)
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return nil, err
	}
	env := events.Envelope{ID: id.String(), Type: typ, Version: events.Default.Version(typ), OccurredAt: time.Now().UTC(),
		TenantID: tenant, AggregateType: aggType, AggregateID: aggID, AggregateVersion: version, Actor: events.System, Data: raw}
	body, err := env.Marshal()
	if err != nil {
		return nil, err
	}
	msg := nats.NewMsg(env.Subject())
	msg.Data = body
	return msg, nil
}
