package session

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/chatbotsaas/chatbot/events"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

const family = "fam"

func tok(h string) Presented { return Presented{Hash: h, FamilyHash: family} }

func started() *Session {
	s := &Session{}
	for _, ev := range Start("u", "company", family, "h0", t0, time.Hour, 24*time.Hour, "ip", "ua") {
		d := ev.Data.(events.SessionStartedData)
		s.Apply(events.Envelope{Type: ev.Type, AggregateID: "s", OccurredAt: t0}, &d)
	}
	return s
}

func apply(s *Session, at time.Time, evs []events.Event) {
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
}

func rotateP(s *Session, at time.Time, p Presented, next string) Outcome {
	evs, o := s.Refresh(at, p, Next{Hash: next, FamilyHash: family}, 10*time.Second, time.Hour, "", "")
	apply(s, at, evs)
	return o
}

func rotate(s *Session, at time.Time, presented, next string) Outcome {
	return rotateP(s, at, tok(presented), next)
}

func TestRefreshDecisions(t *testing.T) {
	cases := []struct {
		name string
		run  func(s *Session) Outcome
		want Outcome
	}{
		{"the current token rotates", func(s *Session) Outcome { return rotate(s, t0.Add(time.Minute), "h0", "h1") }, Rotated},
		{"a token of the family the session never minted revokes", func(s *Session) Outcome { return rotate(s, t0.Add(time.Minute), "zz", "h1") }, Reused},
		{"a token without the family secret is refused without harm", func(s *Session) Outcome {
			return rotateP(s, t0.Add(time.Minute), Presented{Hash: "zz", FamilyHash: "other"}, "h1")
		}, Refused},
		{"a previous token within grace rotates", func(s *Session) Outcome {
			rotate(s, t0.Add(time.Minute), "h0", "h1")
			return rotate(s, t0.Add(time.Minute+5*time.Second), "h0", "h2")
		}, Rotated},
		{"a racing sibling of the current generation rotates", func(s *Session) Outcome {
			rotate(s, t0.Add(time.Minute), "h0", "h1")
			rotate(s, t0.Add(time.Minute+time.Second), "h0", "h1b")
			return rotate(s, t0.Add(time.Minute+2*time.Second), "h1", "h2")
		}, Rotated},
		{"a previous token after grace revokes", func(s *Session) Outcome {
			rotate(s, t0.Add(time.Minute), "h0", "h1")
			return rotate(s, t0.Add(2*time.Minute), "h0", "h2")
		}, Reused},
		{"a token two generations back revokes even within grace", func(s *Session) Outcome {
			rotate(s, t0.Add(time.Minute), "h0", "h1")
			rotate(s, t0.Add(time.Minute+time.Second), "h1", "h2")
			return rotate(s, t0.Add(time.Minute+2*time.Second), "h0", "h3")
		}, Reused},
		{"the original token revokes after 25 rotations", func(s *Session) Outcome {
			prev := "h0"
			for i := range 25 {
				next := "t" + strconv.Itoa(i)
				if o := rotate(s, t0.Add(time.Duration(i+1)*time.Minute), prev, next); o != Rotated {
					t.Fatalf("rotation %d: %v", i, o)
				}
				prev = next
			}
			return rotate(s, t0.Add(30*time.Minute), "h0", "x")
		}, Reused},
		{"after reuse even the newest token is refused", func(s *Session) Outcome {
			rotate(s, t0.Add(time.Minute), "h0", "h1")
			rotate(s, t0.Add(2*time.Minute), "h0", "h2")
			return rotate(s, t0.Add(2*time.Minute), "h1", "h3")
		}, Refused},
		{"siblings are bounded", func(s *Session) Outcome {
			rotate(s, t0.Add(time.Minute), "h0", "h1")
			for i := range maxSiblings - 1 {
				rotate(s, t0.Add(time.Minute), "h0", "s"+strconv.Itoa(i))
			}
			return rotate(s, t0.Add(time.Minute), "h0", "one-too-many")
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
			apply(s, t0, s.Revoke("logout"))
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

func TestGenerationsCount(t *testing.T) {
	s := started()
	rotate(s, t0.Add(time.Minute), "h0", "h1")
	rotate(s, t0.Add(time.Minute+time.Second), "h0", "h1b")
	rotate(s, t0.Add(2*time.Minute), "h1", "h2")
	if s.Generation != 2 {
		t.Fatalf("generation %d, want 2 (a sibling is no generation)", s.Generation)
	}
}

// A session whose events predate families and generations (no
// family_hash, no generation) still works: its tokens prove membership by
// their hash.
func TestSessionsFromBeforeFamilies(t *testing.T) {
	reg := events.Default
	s := &Session{}
	fold := func(typ, data string, at time.Time) {
		env := events.Envelope{Type: typ, Version: 1, AggregateID: "s", OccurredAt: at, Data: json.RawMessage(data)}
		d, err := reg.Decode(&env)
		if err != nil {
			t.Fatal(err)
		}
		s.Apply(env, d)
	}
	fold(events.SessionStarted, `{"user_id":"u","token_hash":"h0","expires_at":"2026-01-02T12:00:00Z","idle_ttl_seconds":3600}`, t0)
	fold(events.RefreshTokenRotated, `{"token_hash":"h1","previous_hash":"h0","idle_ttl_seconds":3600}`, t0.Add(time.Minute))
	legacy := func(h string) Presented { return Presented{Hash: h} }

	if o := rotateP(s, t0.Add(2*time.Minute), legacy("forged"), "x"); o != Refused {
		t.Fatalf("an unknown token of a session without a family: %v, want refused", o)
	}
	if o := rotateP(s, t0.Add(2*time.Minute), legacy("h1"), "h2"); o != Rotated || s.FamilyHash != family || s.Generation != 2 {
		t.Fatalf("the current legacy token: %v, family %q, generation %d", o, s.FamilyHash, s.Generation)
	}
	if o := rotateP(s, t0.Add(3*time.Minute), legacy("h1"), "x"); o != Reused {
		t.Fatalf("the superseded legacy token after grace: %v, want reused", o)
	}
}
