package events_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

type renamedV3 struct {
	Title string `json:"title"`
	Stars int    `json:"stars"`
}

func TestUpcastersRunInOrder(t *testing.T) {
	reg := events.NewRegistry()
	events.Register[renamedV3](reg, "Rated", 3, "test")
	reg.Upcast("Rated", 1, func(d json.RawMessage) (json.RawMessage, error) {
		var v struct{ Name string }
		if err := json.Unmarshal(d, &v); err != nil {
			return nil, err
		}
		return json.Marshal(map[string]any{"title": v.Name})
	})
	reg.Upcast("Rated", 2, func(d json.RawMessage) (json.RawMessage, error) {
		var v map[string]any
		if err := json.Unmarshal(d, &v); err != nil {
			return nil, err
		}
		v["stars"] = 5
		return json.Marshal(v)
	})
	cases := []struct {
		name    string
		version int
		data    string
		want    renamedV3
	}{
		{"from version 1", 1, `{"Name":"x"}`, renamedV3{Title: "x", Stars: 5}},
		{"from version 2", 2, `{"title":"y"}`, renamedV3{Title: "y", Stars: 5}},
		{"current version", 3, `{"title":"z","stars":2}`, renamedV3{Title: "z", Stars: 2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := events.Envelope{Type: "Rated", Version: tc.version, Data: json.RawMessage(tc.data)}
			got, err := reg.Decode(&e)
			if err != nil {
				t.Fatal(err)
			}
			if *got.(*renamedV3) != tc.want || e.Version != 3 {
				t.Errorf("got %+v at version %d, want %+v", got, e.Version, tc.want)
			}
		})
	}
}

func TestDecodeRefusesWhatItCannotRead(t *testing.T) {
	reg := events.NewRegistry()
	events.Register[renamedV3](reg, "Rated", 2, "test")
	for name, e := range map[string]events.Envelope{
		"unknown type":          {Type: "Nope", Version: 1, Data: json.RawMessage(`{}`)},
		"newer than this build": {Type: "Rated", Version: 3, Data: json.RawMessage(`{}`)},
		"no upcaster":           {Type: "Rated", Version: 1, Data: json.RawMessage(`{}`)},
		"bad data":              {Type: "Rated", Version: 2, Data: json.RawMessage(`{"stars":"many"}`)},
	} {
		if _, err := reg.Decode(&e); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}

func TestEnvelopeRoundTripAndSubject(t *testing.T) {
	e := events.Envelope{ID: "id1", Type: "Rated", Version: 1, TenantID: "t1", AggregateType: "movie", AggregateID: "m1",
		AggregateVersion: 4, Actor: events.Actor{Type: "user", ID: "u1"}, Data: json.RawMessage(`{"a":1}`)}
	b, err := e.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "Position") || strings.Contains(string(b), "position") {
		t.Errorf("position is stored: %s", b)
	}
	got, err := events.Unmarshal(b, 9)
	if err != nil || got.Position != 9 || got.AggregateVersion != 4 || got.Actor.ID != "u1" {
		t.Fatalf("got %+v %v", got, err)
	}
	if s := e.Subject(); s != "events.t1.movie.m1.Rated" {
		t.Errorf("subject %q", s)
	}
	if _, err := events.Unmarshal([]byte(`{"id":"x"}`), 1); err == nil {
		t.Error("an envelope without type and tenant was accepted")
	}
	if events.ValidToken("a.b") || events.ValidToken("") || events.ValidToken("a*") || !events.ValidToken("0192-abc") {
		t.Error("ValidToken is wrong")
	}
}

func TestEnsureStreamIsIdempotent(t *testing.T) {
	n := testkit.StartNATS(t)
	js, err := jetstream.New(n.Conn)
	if err != nil {
		t.Fatalf("connect JetStream: %v", err)
	}
	ctx := context.Background()
	first, err := events.EnsureStream(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	created := first.CachedInfo().Created
	again, err := events.EnsureStream(ctx, js, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !again.CachedInfo().Created.Equal(created) || again.CachedInfo().Config.Duplicates != events.DuplicateWindow {
		t.Fatalf("second call: %+v", again.CachedInfo().Config)
	}
	// An older definition is brought up to date.
	old := events.StreamConfig(1)
	old.Subjects = []string{events.AllFilter}
	old.AllowMsgSchedules = false
	if _, err := js.UpdateStream(ctx, old); err == nil {
		if s, err := events.EnsureStream(ctx, js, 1); err != nil || len(s.CachedInfo().Config.Subjects) != 2 {
			t.Fatalf("update: %v %v", err, s.CachedInfo().Config.Subjects)
		}
	}
}
