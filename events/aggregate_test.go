package events_test

import (
	"testing"

	"github.com/chatbotsaas/chatbot/events"
)

func TestEveryProductEventNamesItsAggregate(t *testing.T) {
	names := events.Default.Names()
	if len(names) < 40 {
		t.Fatalf("only %d registered types", len(names))
	}
	for _, n := range names {
		if events.Default.Aggregate(n) == "" {
			t.Errorf("%s names no aggregate", n)
		}
	}
	for typ, want := range map[string]string{
		events.UserDeleted:      "events.*.user.*.UserDeleted",
		events.CompanyRenamed:   "events.*.company.*.CompanyRenamed",
		events.ApiKeyRevoked:    "events.*.chatbot.*.ApiKeyRevoked",
		events.SessionRevoked:   "events.*.session.*.SessionRevoked",
		events.UsageRecorded:    "events.*.usage.*.UsageRecorded",
		"SomethingUnregistered": "events.*.*.*.SomethingUnregistered",
	} {
		if got := events.TypeFilter(typ); got != want {
			t.Errorf("TypeFilter(%s) = %s, want %s", typ, got, want)
		}
	}
	if got := events.TenantTypeFilter("acme", events.LoginFailed); got != "events.acme.user.*.LoginFailed" {
		t.Errorf("TenantTypeFilter = %s", got)
	}
}

func TestAnEventTypeHasOneAggregate(t *testing.T) {
	reg := events.NewRegistry()
	events.Register[struct{}](reg, "Rated", 1, "a movie was rated")
	reg.Owns("movie", "Rated")
	reg.Owns("movie", "Rated") // the same owner again is harmless
	for name, call := range map[string]func(){
		"a second owner":     func() { reg.Owns("book", "Rated") },
		"an unknown type":    func() { reg.Owns("movie", "Watched") },
		"a wildcard as type": func() { events.Register[struct{}](reg, "Liked", 1, "x"); reg.Owns("*", "Liked") },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", name)
				}
			}()
			call()
		}()
	}
	if got := reg.Aggregate("Rated"); got != "movie" {
		t.Errorf("Aggregate = %q", got)
	}
}
