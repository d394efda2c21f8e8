package events_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/chatbotsaas/chatbot/events"
)

func seeded(key string, at time.Time) context.Context {
	return events.WithIDSeed(context.Background(), events.NewIDSeed([]byte(key), at))
}

func mustV7(t *testing.T, s string, at time.Time) {
	t.Helper()
	u, err := uuid.Parse(s)
	if err != nil || u.Version() != 7 || u.Variant() != uuid.RFC4122 {
		t.Fatalf("%s is not a UUIDv7: %v", s, err)
	}
	if ms := u.Time(); !at.IsZero() && time.Unix(ms.UnixTime()).UnixMilli() != at.UnixMilli() {
		t.Errorf("%s carries %v, want %v", s, time.Unix(ms.UnixTime()), at)
	}
}

func TestIdsUnderASeedAreTheSameOnEveryRun(t *testing.T) {
	at := time.Date(2026, 3, 4, 5, 6, 7, 891_000_000, time.UTC)
	run := func(key string) []string {
		ctx := seeded(key, at)
		a, b := events.NewAggregateID(ctx), events.NewAggregateID(ctx)
		e := events.NewEventID(ctx, "chatbot", a, 1, 0, "ChatbotCreated", []byte(`{"name":"x"}`))
		return []string{a, b, e}
	}
	first, again, other := run("k1"), run("k1"), run("k2")
	for i := range first {
		mustV7(t, first[i], at)
		mustV7(t, other[i], at)
		if first[i] != again[i] {
			t.Errorf("id %d: %s then %s under one seed", i, first[i], again[i])
		}
		if first[i] == other[i] {
			t.Errorf("id %d: %s under two seeds", i, first[i])
		}
	}
	if first[0] == first[1] {
		t.Error("a request's two aggregate ids are the same")
	}
	ctx := seeded("k1", at)
	e := func(version int64, index int, data string) string {
		return events.NewEventID(ctx, "chatbot", first[0], version, index, "ChatbotCreated", []byte(data))
	}
	if e(1, 0, "a") == e(2, 0, "a") || e(1, 0, "a") == e(1, 1, "a") || e(1, 0, "a") == e(1, 0, "b") {
		t.Error("event ids of different events are the same")
	}
}

func TestIdsWithoutASeedAreRandom(t *testing.T) {
	ctx := context.Background()
	a, b := events.NewAggregateID(ctx), events.NewAggregateID(ctx)
	mustV7(t, a, time.Time{})
	if a == b || events.Deterministic(ctx) || !events.Deterministic(seeded("k", time.Now())) {
		t.Errorf("unseeded ids %s, %s", a, b)
	}
	if events.NewEventID(ctx, "t", a, 1, 0, "E", nil) == events.NewEventID(ctx, "t", a, 1, 0, "E", nil) {
		t.Error("unseeded event ids repeat")
	}
}
