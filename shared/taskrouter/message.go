package taskrouter

import (
	"strconv"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
)

// Message is what a task handles: an event of the stream, or a due timer
// whose headers name the event that set it. It is an events.TaskMessage.
type Message struct {
	subject string
	seq     uint64
	header  nats.Header
	data    []byte
}

// NewMessage is a message read back from elsewhere (a dead letter).
func NewMessage(subject string, seq uint64, header nats.Header, data []byte) Message {
	return Message{subject: subject, seq: seq, header: header, data: data}
}

func (m Message) Subject() string      { return m.subject }
func (m Message) Headers() nats.Header { return m.header }
func (m Message) Data() []byte         { return m.data }
func (m Message) Seq() uint64          { return m.seq }

// Event reads the message as an event envelope (personal fields sealed).
func (m Message) Event() (events.Envelope, error) { return events.Unmarshal(m.data, m.seq) }

// EffectKey names the message for the record of a task's effects: the
// event's id, else (a timer) its stream position.
func (m Message) EffectKey() string {
	if env, err := m.Event(); err == nil && env.ID != "" {
		return env.ID
	}
	return "seq:" + strconv.FormatUint(m.seq, 10)
}

// Metadata keys the unmarshaler sets besides the message's own headers.
const (
	metaSubject = "_subject"
	metaSeq     = "_seq"
	metaTries   = "_tries"
)

// unmarshaler turns a stream message into a Watermill message: its id is
// the event's (a timer's position otherwise), its correlation id the
// event's, and its headers are kept for the task's context.
type unmarshaler struct{}

func (unmarshaler) Unmarshal(msg jetstream.Msg) (*message.Message, error) {
	var seq uint64
	if md, err := msg.Metadata(); err == nil {
		seq = md.Sequence.Stream
	}
	m := Message{subject: msg.Subject(), seq: seq, header: msg.Headers(), data: msg.Data()}
	wm := message.NewMessage(m.EffectKey(), msg.Data())
	for k, v := range msg.Headers() {
		if len(v) > 0 {
			wm.Metadata.Set(k, v[0])
		}
	}
	wm.Metadata.Set(metaSubject, msg.Subject())
	wm.Metadata.Set(metaSeq, strconv.FormatUint(seq, 10))
	corr := msg.Headers().Get(events.CorrelationHeader)
	if env, err := m.Event(); err == nil && env.CorrelationID != "" {
		corr = env.CorrelationID
	}
	if corr != "" {
		middleware.SetCorrelationID(corr, wm)
	}
	return wm, nil
}

// fromWatermill is the task's view of a Watermill message.
func fromWatermill(wm *message.Message) Message {
	seq, _ := strconv.ParseUint(wm.Metadata.Get(metaSeq), 10, 64)
	h := nats.Header{}
	for k, v := range wm.Metadata {
		if k != metaSubject && k != metaSeq && k != metaTries && k != metaCannotDo && k != middleware.CorrelationIDMetadataKey {
			h.Set(k, v)
		}
	}
	return Message{subject: wm.Metadata.Get(metaSubject), seq: seq, header: h, data: wm.Payload}
}
