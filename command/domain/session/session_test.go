package session

import (
	"testing"
	"time"

	"github.com/chatbotsaas/chatbot/events"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func started() *Session {
	s := &Session{}
	for _, ev := range Start("u", "company", "h0", t0, time.Hour, 24*time.Hour, "ip", "ua") {
		d := ev.Data.(events.SessionStartedData)
		s.Apply(events.Envelope{Type: ev.Type, AggregateID: "s", OccurredAt: t0}, &d)
	}
	return s
}

func rotate(s *Session, at time.Time, presented, next string) Outcome {
	evs, o := s.Refresh(at, presented, next, 10*time.Second, time.Hour, "", "")
	for _, ev := range evs {
		env := events.Envelope{Type: ev.Type, OccurredAt: at}
		switch d := ev.Data.(type) {
		case events.RefreshTokenRotatedData:
			s.Apply(env, &d)
		case events.SessionRevokedData:
			s.Apply(env, &d)
		case events.RefreshTokenReuseDetectedData:
			s.Apply(env, &d)
		}
	}
	return o
}

func TestRefreshDecisions(t *testing.T) {
	cases := []struct {
		name string
		run  func(s *Session) Outcome
		want Outcome
	}{
		{"the current token rotates", func(s *Session) Outcome { return rotate(s, t0.Add(time.Minute), "h0", "h1") }, Rotated},
		{"an unknown token is refused without harm", func(s *Session) Outcome { return rotate(s, t0.Add(time.Minute), "zz", "h1") }, Refused},
		{"a spent token within grace rotates", func(s *Session) Outcome {
			rotate(s, t0.Add(time.Minute), "h0", "h1")
			return rotate(s, t0.Add(time.Minute+5*time.Second), "h0", "h2")
		}, Rotated},
		{"a spent token after grace revokes", func(s *Session) Outcome {
			rotate(s, t0.Add(time.Minute), "h0", "h1")
			return rotate(s, t0.Add(2*time.Minute), "h0", "h2")
		}, Reused},
		{"after reuse even the newest token is refused", func(s *Session) Outcome {
			rotate(s, t0.Add(time.Minute), "h0", "h1")
			rotate(s, t0.Add(2*time.Minute), "h0", "h2")
			return rotate(s, t0.Add(2*time.Minute), "h1", "h3")
		}, Refused},
		{"an idle session expires", func(s *Session) Outcome { return rotate(s, t0.Add(2*time.Hour), "h0", "h1") }, Refused},
		{"use keeps a session alive", func(s *Session) Outcome {
			rotate(s, t0.Add(50*time.Minute), "h0", "h1")
			return rotate(s, t0.Add(100*time.Minute), "h1", "h2")
		}, Rotated},
		{"the absolute expiry ends it", func(s *Session) Outcome {
			at := t0
			prev := "h0"
			for i := range 30 {
				at = at.Add(50 * time.Minute)
				next := string(rune('a' + i))
				rotate(s, at, prev, next)
				prev = next
			}
			return rotate(s, at.Add(time.Minute), prev, "last")
		}, Refused},
		{"a revoked session refuses", func(s *Session) Outcome {
			for _, ev := range s.Revoke("logout") {
				d := ev.Data.(events.SessionRevokedData)
				s.Apply(events.Envelope{Type: ev.Type}, &d)
			}
			return rotate(s, t0.Add(time.Minute), "h0", "h1")
		}, Refused},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.run(started()); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}
