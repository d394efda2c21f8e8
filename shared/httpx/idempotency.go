package httpx

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humafiber"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/chatbotsaas/chatbot/events"
	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// A POST sent with Idempotency-Key: <client string> is done once: a retry
// with the same key and the same body within 24 h answers the original
// result and does nothing. The key is the caller's own: it is scoped to
// the caller the route authenticated (its session, or its API key; or
// anonymous), the method and the path. The middleware is the operation's
// last, so the route's guard runs before every replay: a caller the route
// refuses now never gets a stored answer. A retry while the first is still
// running answers 409; the same key with another body answers 422. Only
// successful answers are kept: after a failure the client may retry the
// same key. Stored answers are sealed under a key derived from the
// client's key (see idempotency_seal.go).

// IdempotencyBucket keeps the answers, each for IdempotencyTTL.
const (
	IdempotencyBucket = "IDEMPOTENCY"
	IdempotencyTTL    = 24 * time.Hour
	idempotencyHeader = "Idempotency-Key"
	// HeaderReplayed marks an answer given again for a retried key.
	HeaderReplayed = "Idempotent-Replayed"
	// MetaNoIdempotency marks an operation that ignores Idempotency-Key.
	MetaNoIdempotency = "no_idempotency"
	// abandonGrace is added to the request timeout before a claim counts as
	// abandoned: the clocks of two processes and a write in flight at the
	// deadline.
	abandonGrace = time.Second
)

// replayedHeaders are the headers of an answer that a replay repeats.
var replayedHeaders = []string{"Content-Type", "Location", "X-Event-Position"}

// NoIdempotency marks op as never stored or replayed under an
// Idempotency-Key; the header is ignored. Credential routes (login,
// refresh, logout, password changes) are marked so: their answers are
// one-time secrets and their effects must happen each time.
func NoIdempotency(op huma.Operation) huma.Operation {
	if op.Metadata == nil {
		op.Metadata = map[string]any{}
	}
	op.Metadata[MetaNoIdempotency] = true
	return op
}

// Caller names who sends a request, once the route's guard has accepted
// it: a session, an API key, or "" for an anonymous caller.
type Caller func(ctx huma.Context) (string, error)

// IdempotencyOptions configures the bucket and the takeover rule.
type IdempotencyOptions struct {
	Replicas       int
	RequestTimeout time.Duration // a claim older than this is abandoned
	Registry       prometheus.Registerer
	Logger         *slog.Logger
}

// Idempotency is the middleware and its bucket.
type Idempotency struct {
	kv           jetstream.KeyValue
	nc           *nats.Conn
	abandonAfter time.Duration
	metrics      idempotencyMetrics
	log          *slog.Logger
	now          func() time.Time
}

type idempotencyMetrics struct {
	recordFailures prometheus.Counter
	takeovers      prometheus.Counter
}

// idempotencyDescription tells a bucket of sealed entries from one written
// by earlier versions, which kept answers in clear.
const idempotencyDescription = "sealed answers of POST requests sent with an Idempotency-Key, kept 24 h"

// OpenIdempotency makes sure the bucket exists, and empties one written
// in clear by an earlier version: its entries could not be replayed
// anyway, their names being derived otherwise.
func OpenIdempotency(ctx context.Context, js jetstream.JetStream, o IdempotencyOptions) (*Idempotency, error) {
	if stream, err := js.Stream(ctx, "KV_"+IdempotencyBucket); err == nil && stream.CachedInfo().Config.Description != idempotencyDescription {
		if err := stream.Purge(ctx); err != nil {
			return nil, fmt.Errorf("purge bucket %s: %w", IdempotencyBucket, err)
		}
	}
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: IdempotencyBucket, Description: idempotencyDescription,
		History: 1, TTL: IdempotencyTTL, Storage: jetstream.FileStorage, Replicas: max(o.Replicas, 1),
	})
	if err != nil {
		return nil, fmt.Errorf("create bucket %s: %w", IdempotencyBucket, err)
	}
	m := idempotencyMetrics{
		recordFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chatbot_idempotency_record_failures_total",
			Help: "Successful answers whose Idempotency-Key could not be recorded; a retry with that key runs again.",
		}),
		takeovers: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "chatbot_idempotency_takeovers_total",
			Help: "Abandoned Idempotency-Key claims (older than the request timeout) taken over by a retry.",
		}),
	}
	if o.Registry != nil {
		o.Registry.MustRegister(m.recordFailures, m.takeovers)
	}
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Idempotency{kv: kv, nc: js.Conn(), abandonAfter: o.RequestTimeout + abandonGrace,
		metrics: m, log: log, now: time.Now}, nil
}

// Attach makes every POST operation registered on api from now on honour
// Idempotency-Key, unless marked NoIdempotency. The middleware is added
// as the operation's last: after the API's middlewares (the guard) and the
// operation's own (the bot API's key check). A hidden operation, which
// huma does not add to the OpenAPI, gets none.
func (i *Idempotency) Attach(api huma.API, caller Caller) {
	oapi := api.OpenAPI()
	oapi.OnAddOperation = append(oapi.OnAddOperation, func(_ *huma.OpenAPI, op *huma.Operation) {
		if op.Method != http.MethodPost || op.Metadata[MetaNoIdempotency] == true {
			return
		}
		op.Middlewares = append(op.Middlewares, i.middleware(api, caller))
		op.Parameters = append(op.Parameters, &huma.Param{
			Name: idempotencyHeader, In: "header",
			Description: "1 to 255 visible ASCII characters, best a random UUID: a retry with the same key and body within 24 h " +
				"answers the original result (`Idempotent-Replayed: true`) and does nothing again.",
			Schema: &huma.Schema{Type: "string", MinLength: new(1), MaxLength: new(255)},
		})
		documentIdempotency(op)
	})
}

func (i *Idempotency) middleware(api huma.API, caller Caller) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		key := ctx.Header(idempotencyHeader)
		if key == "" {
			next(ctx)
			return
		}
		if err := i.serve(ctx, next, caller, key); err != nil {
			_ = huma.WriteErr(api, ctx, http.StatusInternalServerError, "", err)
		}
	}
}

// serve runs the request under its key once, or replays its answer.
func (i *Idempotency) serve(ctx huma.Context, next func(huma.Context), caller Caller, key string) error {
	if len(key) > 255 || strings.ContainsFunc(key, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		return apperr.Invalid("Idempotency-Key must be 1 to 255 visible ASCII characters")
	}
	who, err := caller(ctx)
	if err != nil {
		return err
	}
	c := humafiber.Unwrap(ctx)
	k, err := deriveKeys(key, strings.Join([]string{who, ctx.Method(), c.Path()}, "\x00"))
	if err != nil {
		return err
	}
	sum := sha256.Sum256(c.Body())
	bodyHash := hex.EncodeToString(sum[:])

	rev, firstClaimed, done, err := i.claim(ctx.Context(), k, bodyHash)
	if err != nil {
		return err
	}
	if done != nil {
		return replay(ctx, done, bodyHash)
	}
	answered := false
	defer func() {
		if !answered { // the route panicked
			i.release(ctx.Context(), k, rev)
		}
	}()
	// The ids the request makes derive from its key, so that a retry
	// after a takeover makes the same ones and its events are recognised.
	next(huma.WithContext(ctx, events.WithIDSeed(ctx.Context(), events.NewIDSeed(k.seed, firstClaimed))))
	answered = true
	status := c.Response().StatusCode()
	if status < 200 || status > 299 {
		i.release(ctx.Context(), k, rev)
		return nil
	}
	answer := sealedAnswer{BodyHash: bodyHash, Status: status, Headers: map[string]string{},
		Body: append([]byte(nil), c.Response().Body()...)}
	for _, h := range replayedHeaders {
		if v := c.GetRespHeader(h); v != "" {
			answer.Headers[h] = v
		}
	}
	i.record(ctx.Context(), k, rev, answer)
	return nil
}

func replay(ctx huma.Context, a *sealedAnswer, bodyHash string) error {
	if a.BodyHash != bodyHash {
		return otherBody()
	}
	for h, v := range a.Headers {
		ctx.SetHeader(h, v)
	}
	ctx.SetHeader(HeaderReplayed, "true")
	ctx.SetStatus(a.Status)
	_, err := ctx.BodyWriter().Write(a.Body)
	return err
}
