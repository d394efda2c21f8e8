package httpx

import (
	"context"
	"fmt"
	"log/slog"
	"mime"
	"runtime/debug"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/deadline"
	"github.com/chatbotsaas/chatbot/shared/observability"
)

// HeaderRequestID names the request id header, read and answered.
const HeaderRequestID = "X-Request-Id"

// requestID takes a sane X-Request-Id from the client or makes one, answers
// it, and puts it with the request deadline into the handler context.
func requestID(timeout time.Duration) fiber.Handler {
	// A request's bound comes from a context shared by the requests of the
	// same step (timeout/50, at most 100 ms): it ends between 98 % of the
	// timeout and the timeout, and costs no timer of its own.
	bound := deadline.New(timeout)
	return func(c *fiber.Ctx) error {
		id := strings.Clone(c.Get(HeaderRequestID)) // outlives the request buffer in reports
		if !saneRequestID(id) {
			id = newRequestID()
		}
		c.Set(HeaderRequestID, id)
		ctx := observability.WithRequestID(bound.Context(), id)
		if observability.SentryEnabled() {
			headers := map[string]string{}
			c.Request().Header.VisitAll(func(k, v []byte) { headers[string(k)] = string(v) })
			// Fiber's strings point into buffers reused after the request;
			// the report is sent later.
			ctx = observability.WithSentryRequest(ctx, strings.Clone(c.Method()), strings.Clone(c.BaseURL()+c.Path()), headers)
		}
		c.SetUserContext(ctx)
		return c.Next()
	}
}

func newRequestID() string {
	if u, err := uuid.NewV7(); err == nil {
		return u.String()
	}
	return uuid.NewString()
}

func saneRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		ch := id[i]
		ok := ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' ||
			ch == '-' || ch == '_' || ch == '.' || ch == ':'
		if !ok {
			return false
		}
	}
	return true
}

// AccessLog says how much the access log writes: one line per request at
// most, at a level that follows the outcome, so that routine successes can
// stay out of an INFO log while every failure and every slow request shows.
type AccessLog struct {
	// Success is the level of a 2xx or 3xx line: "debug", "info" (also
	// when empty) or "off".
	Success string
	// Slow is the duration past which a request is logged at warn as
	// slow, whatever its status; 0 never.
	Slow time.Duration
}

// level is the level of a request's line, and whether it is written. A
// 5xx is an error, a slow request a warning, a 4xx (the client's doing,
// but worth seeing: scans, broken clients, abuse) info.
func (a AccessLog) level(status int, took time.Duration) (slog.Level, bool) {
	slow := a.Slow > 0 && took > a.Slow
	switch {
	case status >= 500:
		return slog.LevelError, true
	case slow:
		return slog.LevelWarn, true
	case status >= 400:
		return slog.LevelInfo, true
	case a.Success == "off":
		return 0, false
	case a.Success == "debug":
		return slog.LevelDebug, true
	}
	return slog.LevelInfo, true
}

// failure holds the cause of a request's internal error (and the stack of
// a panic), so that the access line of a 5xx carries it and the failure is
// logged once.
type failure struct {
	err   error
	stack string
}

type failureKey struct{}

// noteFailure gives the cause of a 5xx to the request's access line; it
// reports false outside a request, where the caller logs it itself.
func noteFailure(ctx context.Context, err error) bool {
	f, ok := ctx.Value(failureKey{}).(*failure)
	if ok {
		f.err = err
	}
	return ok
}

// observe writes the access log line and the HTTP metrics. Errors from the
// rest of the chain are answered here, so the status it records is the one
// the client gets.
func observe(metrics Metrics, log *slog.Logger, access AccessLog) fiber.Handler {
	return func(c *fiber.Ctx) error {
		done := metrics.RequestStarted()
		start := time.Now()
		failed := &failure{}
		c.SetUserContext(context.WithValue(c.UserContext(), failureKey{}, failed))
		if err := c.Next(); err != nil {
			if herr := c.App().ErrorHandler(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
		}
		took := time.Since(start)
		status := c.Response().StatusCode()
		route := c.Route().Path
		if status == fiber.StatusNotFound && route == "/" {
			route = "unmatched" // keep unknown paths out of metric labels
		}
		done(strings.Clone(c.Method()), route, status) // label values are kept by the registry
		level, ok := access.level(status, took)
		if !ok || !log.Enabled(c.UserContext(), level) {
			return nil
		}
		attrs := []any{"method", c.Method(), "path", c.Path(), "route", route, "status", status,
			"duration_ms", float64(took.Microseconds()) / 1000, "remote", c.IP()}
		if access.Slow > 0 && took > access.Slow {
			attrs = append(attrs, "slow", true)
		}
		if failed.err != nil {
			attrs = append(attrs, "err", failed.err)
		}
		if failed.stack != "" {
			attrs = append(attrs, "stack", failed.stack)
		}
		log.Log(c.UserContext(), level, "http request", attrs...)
		return nil
	}
}

// Metrics is what observe needs of the process metrics.
type Metrics interface {
	RequestStarted() func(method, route string, status int)
	PanicRecovered()
}

// recoverPanic turns a handler panic into a 500 problem; the stack goes to
// the log and to Sentry, never to the client, and the process goes on.
func recoverPanic(metrics Metrics) fiber.Handler {
	return func(c *fiber.Ctx) (err error) {
		defer func() {
			if r := recover(); r != nil {
				metrics.PanicRecovered()
				ctx := c.UserContext()
				if f, ok := ctx.Value(failureKey{}).(*failure); ok {
					f.stack = string(debug.Stack()) // logged with the access line
				} else {
					slog.ErrorContext(ctx, "handler panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				}
				err = apperr.Internal(fmt.Errorf("panic: %v", r))
			}
		}()
		return c.Next()
	}
}

// secureHeaders sets the headers an API answer carries whatever its route.
func secureHeaders(c *fiber.Ctx) error {
	setSecureHeaders(c)
	return c.Next()
}

// setSecureHeaders is secureHeaders for answers made outside the chain as
// well: the server refuses an oversized body (413) or header block (431)
// before any middleware runs, and answers through the error handler.
// secureHeaders' names are written in canonical form already, so setting
// them skips the normalizing copy of each name on every response.
var secureHeaderValues = [][2][]byte{
	{[]byte("X-Content-Type-Options"), []byte("nosniff")},
	{[]byte("X-Frame-Options"), []byte("DENY")},
	{[]byte("Referrer-Policy"), []byte("no-referrer")},
	{[]byte("Cross-Origin-Opener-Policy"), []byte("same-origin")},
	{[]byte("Strict-Transport-Security"), []byte("max-age=63072000; includeSubDomains")},
	{[]byte("Content-Security-Policy"), []byte("default-src 'none'; frame-ancestors 'none'")},
	{[]byte("Cache-Control"), []byte("no-store")},
}

func setSecureHeaders(c *fiber.Ctx) {
	h := &c.Response().Header
	for _, kv := range secureHeaderValues {
		h.SetCanonical(kv[0], kv[1])
	}
}

// checkBody rejects bodies that are not JSON (415), not UTF-8 or with a key
// given twice (400) before any handler reads them. Size is enforced by the
// server (413).
func checkBody(c *fiber.Ctx) error {
	body := c.Body()
	if len(body) == 0 {
		return c.Next()
	}
	if !isJSONMediaType(c.Get(fiber.HeaderContentType)) {
		return apperr.New(apperr.KindUnsupportedMedia, "unsupported_media_type", "request bodies must be application/json")
	}
	if !utf8.Valid(body) {
		return apperr.Invalid("the request body is not valid UTF-8")
	}
	if hasNULEscape(body) {
		// Postgres text cannot hold NUL; refuse it here rather than fail later.
		return apperr.Invalid(`the request body contains a NUL character (\u0000)`)
	}
	switch key, err := duplicateKey(body); {
	case err != nil:
		return apperr.Invalid(err.Error())
	case key != "":
		return &apperr.Error{Kind: apperr.KindInvalid, Code: "invalid_request", Message: "the request body gives a key twice",
			Fields: []apperr.FieldError{{Field: key, Message: "given twice"}}}
	}
	return c.Next()
}

// hasNULEscape finds a \u0000 escape in JSON text, telling it from an
// escaped backslash followed by "u0000".
func hasNULEscape(body []byte) bool {
	for i := 0; i+5 < len(body); i++ {
		if body[i] != '\\' {
			continue
		}
		if body[i+1] == 'u' && string(body[i+2:i+6]) == "0000" {
			return true
		}
		i++ // skip the escaped character
	}
	return false
}

func isJSONMediaType(v string) bool {
	mt, params, err := mime.ParseMediaType(v)
	if err != nil {
		return false
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return false
	}
	return mt == "application/json" || strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")
}
