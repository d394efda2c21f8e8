package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chatbotsaas/chatbot/command/app"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/testkit"
)

// jetstreamReadiness polls /readyz until its jetstream component reports
// want in its error.
func jetstreamReadiness(t *testing.T, base, want string) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		res, err := http.Get(base + "/readyz")
		if err != nil {
			continue
		}
		var body struct {
			Components map[string]struct{ Status, Error string } `json:"components"`
		}
		err = json.NewDecoder(res.Body).Decode(&body)
		testkit.Close(t, "the response body", res.Body)
		if err != nil {
			last = res.Status + ", not JSON: " + err.Error()
			continue
		}
		js := body.Components["jetstream"]
		last = res.Status + " " + js.Status + " " + js.Error
		if res.StatusCode == http.StatusServiceUnavailable && js.Status == "down" && strings.Contains(js.Error, want) {
			return
		}
	}
	t.Fatalf("/readyz: %s, want 503 naming %q", last, want)
}

func TestReadinessNamesAMissingStreamOrBucket(t *testing.T) {
	_, settings := startIdentity(t)
	base := "http://" + settings["HTTP_ADDR"]
	js := streamOf(t, settings)
	ctx := context.Background()

	if err := js.DeleteKeyValue(ctx, app.CredentialsBucket); err != nil {
		t.Fatal(err)
	}
	jetstreamReadiness(t, base, "bucket "+app.CredentialsBucket)

	if err := js.DeleteStream(ctx, events.StreamName); err != nil {
		t.Fatal(err)
	}
	jetstreamReadiness(t, base, "stream "+events.StreamName)
}
