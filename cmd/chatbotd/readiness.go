package main

import (
	"context"
	"slices"
	"strings"

	"github.com/chatbotsaas/chatbot/command/app"
	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/httpx"
	"github.com/chatbotsaas/chatbot/shared/pii"
)

// kvStream is the stream behind a KV bucket.
func kvStream(bucket string) string { return "KV_" + bucket }

// streamsOf are the JetStream streams the given parts cannot work without:
// someone deleting one (the stream, a bucket of password hashes) must take
// the process out of rotation, not leave it answering 500s while ready.
func streamsOf(parts part) []string {
	need := []string{events.StreamName}
	if parts&(partCommand|partQuery|partProjector) != 0 {
		need = append(need, kvStream(pii.Bucket))
	}
	if parts&partCommand != 0 {
		need = append(need, kvStream(app.CredentialsBucket), kvStream(httpx.IdempotencyBucket),
			kvStream(eventstore.SnapshotBucket), kvStream(eventstore.UniqueBucket))
	}
	return need
}

// jetstreamCheck reports the streams of need that are gone, by name.
func (rt *runtime) jetstreamCheck(need []string) httpx.Check {
	return httpx.Check{Name: "jetstream", Critical: true, Probe: func(ctx context.Context) error {
		names := rt.js.StreamNames(ctx)
		var have []string
		for n := range names.Name() {
			have = append(have, n)
		}
		if err := names.Err(); err != nil {
			return err
		}
		var missing httpx.Missing
		for _, n := range need {
			if slices.Contains(have, n) {
				continue
			}
			if b, ok := strings.CutPrefix(n, "KV_"); ok {
				missing = append(missing, "bucket "+b)
			} else {
				missing = append(missing, "stream "+n)
			}
		}
		if len(missing) > 0 {
			return missing
		}
		return nil
	}}
}
