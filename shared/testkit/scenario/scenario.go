// Package scenario tests a command in the form given events / when
// command / then events, on a real stream. It is apart from testkit so
// that the events package's own tests may use testkit.
package scenario

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"

	"github.com/chatbotsaas/chatbot/events"
)

// Spec is one command's test: Given stores the history the command
// decides on, When runs it, Then names the events it appended, in order.
//
//	spec := scenario.New(t, js).Given(appendCompany, appendUser)
//	spec.When(func() error { _, err := h.Handle(ctx, cmd); return err })
//	spec.Then(events.LoginSucceeded, events.SessionStarted)
type Spec struct {
	tb   testing.TB
	js   jetstream.JetStream
	from uint64 // the stream's last sequence once the history is stored
	err  error
	ran  bool
}

// New starts a spec on the events stream of js.
func New(tb testing.TB, js jetstream.JetStream) *Spec {
	return &Spec{tb: tb, js: js}
}

// Given stores the history through each append (the event store's own
// appends, or commands run before the one under test).
func (s *Spec) Given(appends ...func() error) *Spec {
	s.tb.Helper()
	for _, a := range appends {
		if err := a(); err != nil {
			s.tb.Fatalf("given: %v", err)
		}
	}
	s.from = s.last()
	return s
}

// When runs the command; its error is kept for Err.
func (s *Spec) When(command func() error) *Spec {
	s.tb.Helper()
	if s.from == 0 {
		s.from = s.last()
	}
	s.err, s.ran = command(), true
	return s
}

// Err is the error the command answered.
func (s *Spec) Err() error { return s.err }

// Then checks that the command appended exactly the events of the types
// want, in order, and returns them.
func (s *Spec) Then(want ...string) []events.Envelope {
	s.tb.Helper()
	if !s.ran {
		s.tb.Fatal("then before when")
	}
	got := s.Appended()
	types := make([]string, len(got))
	for i, e := range got {
		types[i] = e.Type
	}
	if !slices.Equal(types, want) && !(len(types) == 0 && len(want) == 0) {
		s.tb.Fatalf("the command appended %v, want %v (its error: %v)", types, want, s.err)
	}
	return got
}

// Appended reads every event stored after the history (timers left out).
func (s *Spec) Appended() []events.Envelope {
	s.tb.Helper()
	last := s.last()
	if last <= s.from {
		return nil
	}
	msgs, err := jetstreamext.GetBatch(context.Background(), s.js, events.StreamName, int(last-s.from),
		jetstreamext.GetBatchSeq(s.from+1))
	if err != nil {
		s.tb.Fatalf("read the stream: %v", err)
	}
	var out []events.Envelope
	for m, err := range msgs {
		if err != nil {
			s.tb.Fatalf("read the stream: %v", err)
		}
		if !strings.HasPrefix(m.Subject, events.SubjectPrefix+".") {
			continue // a timer the command scheduled, not an event
		}
		env, err := events.Unmarshal(m.Data, m.Sequence)
		if err != nil {
			s.tb.Fatalf("decode the event at %d: %v", m.Sequence, err)
		}
		out = append(out, env)
	}
	return out
}

func (s *Spec) last() uint64 {
	s.tb.Helper()
	st, err := s.js.Stream(context.Background(), events.StreamName)
	if err != nil {
		s.tb.Fatalf("the events stream: %v", err)
	}
	info, err := st.Info(context.Background())
	if err != nil {
		s.tb.Fatalf("the events stream: %v", err)
	}
	return info.State.LastSeq
}
