package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
)

// A replicated stream answers direct gets from every replica, and a
// follower applies what the leader committed a little later: a direct get
// right after an append made through another server can miss it. That
// costs nothing where the append's own check catches it (a decision on a
// stale aggregate is refused as a conflict and decided again), but an
// aggregate that seems not to exist yet would be refused outright: a
// chatbot created through one command process and edited through
// another, a session started on one and refreshed on the next. So a
// direct get that finds nothing on a replicated stream asks the leader,
// through the message-get API that only the leader answers.

// leaderGet is the message-get request: the newest message of a subject,
// or the first at or after a sequence on a subject.
type leaderGet struct {
	LastBySubject string `json:"last_by_subj,omitempty"`
	Seq           uint64 `json:"seq,omitempty"`
	NextBySubject string `json:"next_by_subj,omitempty"`
}

type leaderGetResponse struct {
	Message *struct {
		Subject  string    `json:"subject"`
		Sequence uint64    `json:"seq"`
		Header   []byte    `json:"hdrs,omitempty"`
		Data     []byte    `json:"data,omitempty"`
		Time     time.Time `json:"time"`
	} `json:"message"`
	Error *jetstream.APIError `json:"error"`
}

// errNoMessage is the message-get API's "no message found".
const errNoMessage jetstream.ErrorCode = 10037

// lastOnLeader is the newest message of subject in EVENTS as the stream
// leader has it; ErrMsgNotFound when there is none.
func (s *Store) lastOnLeader(ctx context.Context, subject string) (*jetstream.RawStreamMsg, error) {
	return s.leaderLast(ctx, events.StreamName, subject)
}

// leaderLast is the newest message of subject in stream as its leader has
// it; ErrMsgNotFound when there is none.
func (s *Store) leaderLast(ctx context.Context, stream, subject string) (*jetstream.RawStreamMsg, error) {
	return s.leaderGet(ctx, stream, leaderGet{LastBySubject: subject})
}

// nextOnLeader is the first event of EVENTS at or after seq on subject, as
// the leader has it.
func (s *Store) nextOnLeader(ctx context.Context, seq uint64, subject string) (*jetstream.RawStreamMsg, error) {
	return s.leaderGet(ctx, events.StreamName, leaderGet{Seq: seq, NextBySubject: subject})
}

// leaderGet asks stream's leader for one message.
func (s *Store) leaderGet(ctx context.Context, stream string, get leaderGet) (*jetstream.RawStreamMsg, error) {
	ctx, done := s.bound(ctx)
	defer done(nil)
	req, err := json.Marshal(get)
	if err != nil {
		return nil, err
	}
	// Right after the stream's leader changed, no server answers for a
	// moment: asked again shortly, the new leader does.
	var reply *nats.Msg
	for wait := 10 * time.Millisecond; ; wait *= 2 {
		reply, err = s.js.Conn().RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET."+stream, req)
		if !errors.Is(err, nats.ErrNoResponders) || wait > 640*time.Millisecond {
			break
		}
		select {
		case <-ctx.Done():
			return nil, done(ctx.Err())
		case <-time.After(wait):
		}
	}
	if err != nil {
		return nil, done(err)
	}
	var res leaderGetResponse
	if err := json.Unmarshal(reply.Data, &res); err != nil {
		return nil, fmt.Errorf("message get: %w", err)
	}
	if res.Error != nil {
		if res.Error.ErrorCode == errNoMessage {
			return nil, jetstream.ErrMsgNotFound
		}
		return nil, res.Error
	}
	if res.Message == nil {
		return nil, errors.New("message get: empty answer")
	}
	m := &jetstream.RawStreamMsg{Subject: res.Message.Subject, Sequence: res.Message.Sequence,
		Data: res.Message.Data, Time: res.Message.Time, Header: nats.Header{}}
	if len(res.Message.Header) > 0 {
		h, err := decodeHeader(res.Message.Header)
		if err != nil {
			return nil, fmt.Errorf("message get: %w", err)
		}
		m.Header = h
	}
	return m, nil
}

// decodeHeader reads a stored header block: a NATS/1.0 status line, then
// "Key: Value" lines, as on the wire. Keys keep their case, as NATS's do.
func decodeHeader(b []byte) (nats.Header, error) {
	lines := strings.Split(string(b), "\r\n")
	if !strings.HasPrefix(lines[0], "NATS/1.0") {
		return nil, errors.New("a header block without its NATS/1.0 line")
	}
	h := nats.Header{}
	for _, l := range lines[1:] {
		if l == "" {
			continue
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			return nil, fmt.Errorf("a header line without a colon: %q", l)
		}
		h.Add(k, strings.TrimSpace(v))
	}
	return h, nil
}

// A decision refused as a conflict may have been taken on a replica's
// stale state, and the replica its connection reads would answer the same
// again: the decisions after a conflict read where the history ends from
// the leader.
type leaderReadsKey struct{}

func withLeaderReads(ctx context.Context) context.Context {
	return context.WithValue(ctx, leaderReadsKey{}, true)
}

// lastMsg is the newest message of subject: a direct get, confirmed with
// the leader when it finds nothing on a replicated stream (or read from the
// leader outright after a conflict).
func (s *Store) lastMsg(ctx context.Context, subject string) (*jetstream.RawStreamMsg, error) {
	if s.opts.Replicas > 1 && ctx.Value(leaderReadsKey{}) != nil {
		s.opts.Metrics.leaderRead()
		return s.lastOnLeader(ctx, subject)
	}
	msg, err := s.stream.GetLastMsgForSubject(ctx, subject)
	// No responder: a stream just made or just moved, whose replicas do
	// not answer direct gets yet.
	if (errors.Is(err, jetstream.ErrMsgNotFound) || errors.Is(err, nats.ErrNoResponders)) && s.opts.Replicas > 1 {
		s.opts.Metrics.leaderRead()
		return s.lastOnLeader(ctx, subject)
	}
	return msg, err
}

// reservation is the owner and revision of a reserved key.
type reservation struct {
	owner    string
	revision uint64
}

// reservationOf reads a reservation, from the leader of the bucket when a
// replica has none: a reservation made through another server a moment
// ago must count. Found is false for a key never reserved or released.
func (s *Store) reservationOf(ctx context.Context, key string) (reservation, bool, error) {
	entry, err := s.unique.Get(ctx, key)
	if err == nil {
		return reservation{owner: string(entry.Value()), revision: entry.Revision()}, true, nil
	}
	if !errors.Is(err, jetstream.ErrKeyNotFound) {
		return reservation{}, false, err
	}
	if s.opts.Replicas <= 1 {
		return reservation{}, false, nil
	}
	s.opts.Metrics.leaderRead()
	msg, err := s.leaderLast(ctx, "KV_"+UniqueBucket, "$KV."+UniqueBucket+"."+key)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return reservation{}, false, nil
	}
	if err != nil {
		return reservation{}, false, err
	}
	if op := msg.Header.Get("KV-Operation"); op == "DEL" || op == "PURGE" {
		return reservation{}, false, nil
	}
	return reservation{owner: string(msg.Data), revision: msg.Sequence}, true, nil
}
