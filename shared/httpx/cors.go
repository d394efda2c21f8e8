package httpx

import (
	"strings"
	"sync/atomic"

	"github.com/gofiber/fiber/v2"
)

// Origins is the CORS allowlist. It can be replaced while serving, so a
// configuration change applies without a restart.
type Origins struct {
	set atomic.Pointer[map[string]struct{}]
}

// NewOrigins returns an allowlist of exact origins.
func NewOrigins(list []string) *Origins {
	o := &Origins{}
	o.Set(list)
	return o
}

// Set replaces the allowlist.
func (o *Origins) Set(list []string) {
	m := make(map[string]struct{}, len(list))
	for _, v := range list {
		m[strings.ToLower(strings.TrimRight(v, "/"))] = struct{}{}
	}
	o.set.Store(&m)
}

// Allowed reports whether origin may read answers. "null" never may.
func (o *Origins) Allowed(origin string) bool {
	if origin == "" || origin == "null" {
		return false
	}
	_, ok := (*o.set.Load())[strings.ToLower(origin)]
	return ok
}

const (
	corsMethods = "GET, POST, PUT, PATCH, DELETE, OPTIONS"
	corsHeaders = "Authorization, Content-Type, Idempotency-Key, X-Min-Position, X-Request-Id"
	corsExpose  = "X-Request-Id, X-Event-Position, Retry-After, Location"
)

// cors answers preflights and marks answers readable by allowed origins
// only. Vary: Origin is always set so caches keep answers apart.
func cors(origins *Origins) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Vary(fiber.HeaderOrigin)
		origin := c.Get(fiber.HeaderOrigin)
		allowed := origins.Allowed(origin)
		preflight := c.Method() == fiber.MethodOptions && c.Get(fiber.HeaderAccessControlRequestMethod) != ""
		if allowed {
			c.Set(fiber.HeaderAccessControlAllowOrigin, origin)
			c.Set(fiber.HeaderAccessControlExposeHeaders, corsExpose)
		}
		if !preflight {
			return c.Next()
		}
		if allowed {
			c.Set(fiber.HeaderAccessControlAllowMethods, corsMethods)
			c.Set(fiber.HeaderAccessControlAllowHeaders, corsHeaders)
			c.Set(fiber.HeaderAccessControlMaxAge, "600")
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
}
