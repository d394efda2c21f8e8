package httpx

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/shared/apperr"
)

// A POST sent with Idempotency-Key: <client string> is done once: a retry
// with the same key and the same body within 24 h answers the original
// result and does nothing. The key is the caller's own: it is scoped to
// the verified subject of the bearer token (or to anonymous callers), the
// method and the path. A retry while the first is still running answers
// 409; the same key with another body answers 422. Only successful answers
// are kept: after a failure the client may retry the same key.

// IdempotencyBucket keeps the answers, each for IdempotencyTTL.
const (
	IdempotencyBucket = "IDEMPOTENCY"
	IdempotencyTTL    = 24 * time.Hour
	idempotencyHeader = "Idempotency-Key"
	// HeaderReplayed marks an answer given again for a retried key.
	HeaderReplayed = "Idempotent-Replayed"
)

// replayedHeaders are the headers of an answer that a replay repeats.
var replayedHeaders = []string{fiber.HeaderContentType, fiber.HeaderLocation, "X-Event-Position"}

// idempotencyRecord is what the bucket keeps under a key.
type idempotencyRecord struct {
	BodyHash string            `json:"body_hash"`
	Done     bool              `json:"done"`
	Status   int               `json:"status,omitempty"`
	Headers  map[string]string `json:"headers,omitempty"`
	Body     []byte            `json:"body,omitempty"`
}

// Idempotency is the middleware and its bucket.
type Idempotency struct {
	kv jetstream.KeyValue
	// subject names the caller of a bearer token it verifies; "" when it
	// does not (the request then counts as anonymous, and the guard will
	// refuse it anyway if the route needs a caller).
	subject func(token string) string
}

// OpenIdempotency makes sure the bucket exists.
func OpenIdempotency(ctx context.Context, js jetstream.JetStream, replicas int, subject func(token string) string) (*Idempotency, error) {
	kv, err := js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: IdempotencyBucket, Description: "answers of POST requests sent with an Idempotency-Key, kept 24 h",
		History: 1, TTL: IdempotencyTTL, Storage: jetstream.FileStorage, Replicas: max(replicas, 1),
	})
	if err != nil {
		return nil, fmt.Errorf("create bucket %s: %w", IdempotencyBucket, err)
	}
	return &Idempotency{kv: kv, subject: subject}, nil
}

// Middleware does POSTs with an Idempotency-Key once.
func (i *Idempotency) Middleware() fiber.Handler {
	return func(c *fiber.Ctx) error {
		key := c.Get(idempotencyHeader)
		if c.Method() != fiber.MethodPost || key == "" {
			return c.Next()
		}
		if len(key) > 255 || strings.ContainsFunc(key, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
			return apperr.Invalid("Idempotency-Key must be 1 to 255 visible ASCII characters")
		}
		ctx := c.UserContext()
		id := i.recordKey(c, key)
		sum := sha256.Sum256(c.Body())
		bodyHash := hex.EncodeToString(sum[:])

		claimed, err := i.claim(ctx, id, bodyHash)
		if err != nil {
			return err
		}
		if claimed != nil {
			return replay(c, claimed, bodyHash)
		}
		if err := c.Next(); err != nil {
			_ = i.kv.Delete(context.WithoutCancel(ctx), id)
			return err
		}
		status := c.Response().StatusCode()
		if status < 200 || status > 299 {
			_ = i.kv.Delete(context.WithoutCancel(ctx), id)
			return nil
		}
		rec := idempotencyRecord{BodyHash: bodyHash, Done: true, Status: status, Headers: map[string]string{},
			Body: append([]byte(nil), c.Response().Body()...)}
		for _, h := range replayedHeaders {
			if v := c.GetRespHeader(h); v != "" {
				rec.Headers[h] = v
			}
		}
		b, _ := json.Marshal(rec)
		if _, err := i.kv.Put(context.WithoutCancel(ctx), id, b); err != nil {
			// Done, but a retry would do it again: say so in the log.
			return fmt.Errorf("keep the answer of Idempotency-Key: %w", err)
		}
		return nil
	}
}

// recordKey scopes the client's key to its caller, method and path. Only
// a hash is kept: the bucket names no one.
func (i *Idempotency) recordKey(c *fiber.Ctx, key string) string {
	caller := "anonymous"
	if auth := c.Get(fiber.HeaderAuthorization); auth != "" {
		// An API key or a token that does not verify: the credential itself
		// (only its hash is kept) is the caller.
		caller = "credential:" + auth
		if token, ok := strings.CutPrefix(auth, "Bearer "); ok && i.subject != nil {
			if sub := i.subject(token); sub != "" {
				caller = "sub:" + sub // the same user across token refreshes
			}
		}
	}
	sum := sha256.Sum256([]byte(strings.Join([]string{caller, c.Method(), c.Path(), key}, "\x00")))
	return hex.EncodeToString(sum[:])
}

// claim records that this request runs under id, or returns the record of
// the request that did (or does).
func (i *Idempotency) claim(ctx context.Context, id, bodyHash string) (*idempotencyRecord, error) {
	pending, _ := json.Marshal(idempotencyRecord{BodyHash: bodyHash})
	for range 3 {
		if _, err := i.kv.Create(ctx, id, pending); err == nil {
			return nil, nil
		} else if !errors.Is(err, jetstream.ErrKeyExists) {
			return nil, fmt.Errorf("claim Idempotency-Key: %w", err)
		}
		entry, err := i.kv.Get(ctx, id)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue // the first one failed and let go of it
		}
		if err != nil {
			return nil, fmt.Errorf("read Idempotency-Key: %w", err)
		}
		var rec idempotencyRecord
		if err := json.Unmarshal(entry.Value(), &rec); err != nil {
			return nil, fmt.Errorf("read Idempotency-Key: %w", err)
		}
		return &rec, nil
	}
	return nil, apperr.New(apperr.KindConflict, "conflict", "a request with this Idempotency-Key is in progress; retry shortly")
}

func replay(c *fiber.Ctx, rec *idempotencyRecord, bodyHash string) error {
	switch {
	case rec.BodyHash != bodyHash:
		return apperr.Validation(apperr.FieldError{Field: "Idempotency-Key", Message: "was used with another request body"})
	case !rec.Done:
		e := apperr.New(apperr.KindConflict, "conflict", "a request with this Idempotency-Key is in progress; retry shortly")
		e.RetryAfter = 1
		return e
	}
	for h, v := range rec.Headers {
		c.Set(h, v)
	}
	c.Set(HeaderReplayed, "true")
	return c.Status(rec.Status).Send(rec.Body)
}
