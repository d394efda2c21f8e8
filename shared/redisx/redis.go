package redisx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Open parses url and returns a client, or nil when url is empty. A Redis
// that does not answer at start is not fatal: the product degrades to its
// in-process fallbacks and readiness reports it.
func Open(url string) (*redis.Client, error) {
	if url == "" {
		return nil, nil
	}
	opts, err := redis.ParseURL(url)
	if err != nil {
		return nil, errors.New("REDIS_URL cannot be parsed")
	}
	opts.DialTimeout = 2 * time.Second
	opts.ReadTimeout = time.Second
	opts.WriteTimeout = time.Second
	opts.MaxRetries = 1
	return redis.NewClient(opts), nil
}

// Ping checks that Redis answers within timeout.
func Ping(ctx context.Context, c *redis.Client, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return c.Ping(ctx).Err()
}

// SetLogger sends the client library's own lines (a lost connection, a
// failed dial, a pool it reset) through log, at warn, in the product's
// LOG_FORMAT: by default it writes them to stderr unstructured.
func SetLogger(log *slog.Logger) {
	redis.SetLogger(libraryLog{log: log.With("component", "redis-client")})
}

type libraryLog struct{ log *slog.Logger }

func (l libraryLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.WarnContext(ctx, strings.TrimSpace(fmt.Sprintf(format, v...)))
}
