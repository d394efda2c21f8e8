package observability

import (
	"context"
	"strings"
	"time"

	"github.com/getsentry/sentry-go"
)

// scrubbedHeaders never leave the process in an error report.
var scrubbedHeaders = []string{"authorization", "cookie", "set-cookie", "x-api-key", "proxy-authorization"}

// InitSentry turns error reporting on when dsn is set. The returned flush
// waits for queued reports; it is a no-op when reporting is off.
func InitSentry(dsn, environment, release string) (flush func(), err error) {
	if dsn == "" {
		return func() {}, nil
	}
	err = sentry.Init(sentry.ClientOptions{
		Dsn:            dsn,
		Environment:    environment,
		Release:        release,
		SendDefaultPII: false,
		BeforeSend:     scrub,
	})
	if err != nil {
		return nil, err
	}
	return func() { sentry.Flush(3 * time.Second) }, nil
}

// scrub removes credentials and bodies from an event before it is sent.
func scrub(event *sentry.Event, _ *sentry.EventHint) *sentry.Event {
	if req := event.Request; req != nil {
		for name := range req.Headers {
			if isScrubbed(name) {
				req.Headers[name] = "[scrubbed]"
			}
		}
		req.Cookies = ""
		req.Data = ""
		req.QueryString = ""
	}
	event.User = sentry.User{ID: event.User.ID}
	return event
}

// SentryEnabled reports whether error reporting is on.
func SentryEnabled() bool { return sentry.CurrentHub().Client() != nil }

// WithSentryRequest returns ctx carrying a Sentry hub whose scope describes
// the request. Credential headers are left out here and again in scrub.
func WithSentryRequest(ctx context.Context, method, url string, headers map[string]string) context.Context {
	for name := range headers {
		if isScrubbed(name) {
			delete(headers, name)
		}
	}
	hub := sentry.CurrentHub().Clone()
	hub.Scope().SetContext("request", sentry.Context{"method": method, "url": url})
	hub.Scope().AddEventProcessor(func(e *sentry.Event, _ *sentry.EventHint) *sentry.Event {
		e.Request = &sentry.Request{Method: method, URL: url, Headers: headers}
		return e
	})
	return sentry.SetHubOnContext(ctx, hub)
}

func isScrubbed(name string) bool {
	for _, s := range scrubbedHeaders {
		if strings.EqualFold(name, s) {
			return true
		}
	}
	return false
}

// ReportError sends err to Sentry with the request id as a tag, if
// reporting is on.
func ReportError(ctx context.Context, err error, tags map[string]string) {
	hub := sentry.GetHubFromContext(ctx)
	if hub == nil {
		hub = sentry.CurrentHub()
	}
	if hub.Client() == nil {
		return
	}
	hub.WithScope(func(scope *sentry.Scope) {
		if id := RequestID(ctx); id != "" {
			scope.SetTag("request_id", id)
		}
		for k, v := range tags {
			scope.SetTag(k, v)
		}
		hub.CaptureException(err)
	})
}
