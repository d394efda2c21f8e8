package auth

import (
	"context"
	"net/netip"
	"strings"
)

// Client is what a request tells about its sender.
type Client struct {
	IP        string
	UserAgent string
}

type clientKey struct{}

// WithClient returns ctx carrying c.
func WithClient(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

// ClientFrom returns the request's client, or the zero Client.
func ClientFrom(ctx context.Context) Client {
	c, _ := ctx.Value(clientKey{}).(Client)
	return c
}

// maxUserAgent bounds what is recorded of a User-Agent.
const maxUserAgent = 256

// ClientIP is the address of the client: the peer, unless the peer is a
// trusted proxy, in which case the nearest address in X-Forwarded-For that
// is not itself a trusted proxy. X-Forwarded-For from anyone else is ignored.
func ClientIP(peer, forwardedFor string, trusted []netip.Prefix) string {
	ip, err := netip.ParseAddr(peer)
	if err != nil {
		if ap, err2 := netip.ParseAddrPort(peer); err2 == nil {
			ip = ap.Addr()
		} else {
			return peer
		}
	}
	ip = ip.Unmap()
	if !isTrusted(ip, trusted) || forwardedFor == "" {
		return ip.String()
	}
	hops := strings.Split(forwardedFor, ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		hop = hop.Unmap()
		if !isTrusted(hop, trusted) {
			return hop.String()
		}
		ip = hop
	}
	return ip.String()
}

func isTrusted(ip netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// TruncateUserAgent keeps a User-Agent to a sane length.
func TruncateUserAgent(ua string) string {
	if len(ua) > maxUserAgent {
		return ua[:maxUserAgent]
	}
	return ua
}
