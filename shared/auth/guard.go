package auth

import (
	"log/slog"
	"net/netip"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/chatbotsaas/chatbot/shared/apperr"
	"github.com/chatbotsaas/chatbot/shared/httpx"
)

const (
	metaPermission = "permission"
	metaPublic     = httpx.MetaPublic
)

// Require marks op as needing an authenticated principal with perm.
func Require(op huma.Operation, perm Permission) huma.Operation {
	if op.Metadata == nil {
		op.Metadata = map[string]any{}
	}
	op.Metadata[metaPermission] = perm
	op.Security = []map[string][]string{{httpx.SchemeBearer: {}}}
	if op.Responses == nil {
		op.Responses = map[string]*huma.Response{}
	}
	return op
}

// Public marks op as open to anonymous callers.
func Public(op huma.Operation) huma.Operation {
	if op.Metadata == nil {
		op.Metadata = map[string]any{}
	}
	op.Metadata[metaPublic] = true
	return op
}

// Guard authenticates requests and enforces each operation's permission.
type Guard struct {
	tokens  *Tokens
	revoked *Revocations
	trusted []netip.Prefix
}

// NewGuard builds the guard; trusted are the proxies whose X-Forwarded-For
// is believed.
func NewGuard(tokens *Tokens, revoked *Revocations, trusted []netip.Prefix) *Guard {
	return &Guard{tokens: tokens, revoked: revoked, trusted: trusted}
}

// Unauthenticated is the one answer to a missing, invalid, expired or
// revoked credential.
func Unauthenticated() *apperr.Error {
	return apperr.New(apperr.KindUnauthenticated, "unauthenticated", "a valid access token is required")
}

// Middleware is the huma middleware that runs before every operation. An
// operation that declares neither a permission nor Public is refused: no
// route is public by accident.
func (g *Guard) Middleware(api huma.API) func(huma.Context, func(huma.Context)) {
	return func(ctx huma.Context, next func(huma.Context)) {
		ctx = huma.WithValue(ctx, clientKey{}, Client{
			IP:        ClientIP(ctx.RemoteAddr(), ctx.Header("X-Forwarded-For"), g.trusted),
			UserAgent: TruncateUserAgent(ctx.Header("User-Agent")),
		})
		op := ctx.Operation()
		if op == nil || op.Metadata[metaPublic] == true {
			next(ctx)
			return
		}
		perm, ok := op.Metadata[metaPermission].(Permission)
		if !ok {
			slog.ErrorContext(ctx.Context(), "operation declares no permission", "operation", op.OperationID)
			_ = httpx.WriteError(api, ctx, apperr.New(apperr.KindForbidden, "forbidden", "this route is not available"))
			return
		}
		p, err := g.Authenticate(ctx.Header("Authorization"))
		if err != nil {
			ctx.SetHeader("WWW-Authenticate", `Bearer realm="api"`)
			_ = httpx.WriteError(api, ctx, err)
			return
		}
		if !p.Can(perm) {
			_ = httpx.WriteError(api, ctx, apperr.New(apperr.KindForbidden, "forbidden", "your role may not do this"))
			return
		}
		next(huma.WithContext(ctx, WithPrincipal(ctx.Context(), p)))
	}
}

// Authenticate verifies a bearer access token and checks it is not revoked.
func (g *Guard) Authenticate(header string) (Principal, error) {
	scheme, raw, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || raw == "" {
		return Principal{}, Unauthenticated()
	}
	p, issued, err := g.tokens.Verify(strings.TrimSpace(raw))
	if err != nil || !g.revoked.Allowed(p, issued) {
		return Principal{}, Unauthenticated()
	}
	return p, nil
}
