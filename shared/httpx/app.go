package httpx

import (
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humafiber"
	"github.com/gofiber/fiber/v2"

	"github.com/chatbotsaas/chatbot/shared/observability"
)

// Options configures the HTTP edge of a process.
type Options struct {
	Title          string
	Version        string
	BodyLimit      int
	ReadTimeout    time.Duration
	WriteTimeout   time.Duration
	IdleTimeout    time.Duration
	RequestTimeout time.Duration
	Origins        *Origins
	Metrics        Metrics
	Logger         *slog.Logger
	AccessLog      AccessLog
}

// Server is a Fiber app with the middleware chain and the huma API on it.
// Sides register their operations on API.
type Server struct {
	App *fiber.App
	API huma.API
}

// New builds the app. Handlers registered later run behind, in order:
// request id, access log and metrics, panic recovery, secure headers, CORS
// and body checks.
func New(o Options) *Server {
	app := fiber.New(fiber.Config{
		AppName:               o.Title,
		BodyLimit:             o.BodyLimit,
		ReadTimeout:           o.ReadTimeout,
		WriteTimeout:          o.WriteTimeout,
		IdleTimeout:           o.IdleTimeout,
		ReadBufferSize:        16 << 10, // largest header block; bigger answers 431
		StrictRouting:         true,
		CaseSensitive:         true,
		DisableStartupMessage: true,
		ErrorHandler:          errorHandler,
	})
	app.Use(requestID(o.RequestTimeout), observe(o.Metrics, o.Logger, o.AccessLog), recoverPanic(o.Metrics),
		secureHeaders, cors(o.Origins), checkBody)

	configureHuma()
	cfg := huma.DefaultConfig(o.Title, o.Version)
	cfg.CreateHooks = nil // no $schema links injected into bodies
	cfg.Formats = map[string]huma.Format{"application/json": jsonFormat, "json": jsonFormat}
	cfg.DocsPath = "" // the reference page is served from embedded assets
	cfg.Info.Description = "REST API of the chatbot platform. Errors are RFC 9457 problems with a stable `code`. " +
		"Writes answer `X-Event-Position`; reads take `X-Min-Position` to see them. A POST sent with " +
		"`Idempotency-Key` is done once: a retry with the same key and body within 24 h, by the same session or API key, " +
		"answers the original result (`Idempotent-Replayed: true`), after the route has authenticated and authorized the " +
		"caller again (a revoked, demoted or deleted caller gets 401/403, never the stored answer). Another body with the " +
		"same key answers 422, a retry while the first runs 409, a key that cannot be claimed now 503 (both with " +
		"`Retry-After`). Login, refresh, logout and password changes ignore the header. Stored answers are encrypted " +
		"under a key derived from the `Idempotency-Key`, which the server keeps only as a hash: send a random UUID."
	describe(&cfg)
	limit := int64(o.BodyLimit)
	cfg.OnAddOperation = append(cfg.OnAddOperation, func(_ *huma.OpenAPI, op *huma.Operation) {
		op.MaxBodyBytes = limit
	})
	api := humafiber.New(app, cfg)
	api.UseMiddleware(ownedValues)
	return &Server{App: app, API: api}
}

// errorHandler answers every error that reaches Fiber as a problem.
func errorHandler(c *fiber.Ctx, err error) error {
	ctx := c.UserContext()
	if observability.RequestID(ctx) == "" {
		// Rejected before the chain ran (body or headers too large).
		id := newRequestID()
		c.Set(HeaderRequestID, id)
		ctx = observability.WithRequestID(ctx, id)
		setSecureHeaders(c)
	}
	var p *Problem
	var fe *fiber.Error
	if errors.As(err, &fe) {
		p = problemFromStatus(ctx, fe.Code, routeDetail(fe.Code), nil)
	} else {
		p = ProblemFor(ctx, err)
	}
	return WriteProblem(c, p)
}

func routeDetail(status int) string {
	switch status {
	case fiber.StatusNotFound:
		return "no route matches this path"
	case fiber.StatusMethodNotAllowed:
		return "this method is not allowed on this path"
	case fiber.StatusRequestHeaderFieldsTooLarge:
		return "the request headers are too large"
	case fiber.StatusRequestTimeout:
		return "the request took too long to arrive"
	}
	return "the request cannot be served"
}

// WriteProblem answers p as application/problem+json.
func WriteProblem(c *fiber.Ctx, p *Problem) error {
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	if p.retryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(p.retryAfter))
	}
	c.Status(p.Status)
	c.Set(fiber.HeaderContentType, "application/problem+json")
	return c.Send(body)
}

// configureHuma sets what huma keeps in package variables: every error
// written through the one table, keys matched in their exact case.
func configureHuma() {
	installErrors()
	strictCasing()
}
