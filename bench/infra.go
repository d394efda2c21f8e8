package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/chatbotsaas/chatbot/shared/httpx"
	"github.com/chatbotsaas/chatbot/shared/natsx"
	"github.com/chatbotsaas/chatbot/shared/observability"
	"github.com/chatbotsaas/chatbot/shared/postgres"
)

// benchDB is a database made for one scenario and dropped after it.
type benchDB struct {
	Pool  *pgxpool.Pool
	name  string
	admin string
}

func adminURL() string {
	if v := os.Getenv("BENCH_DATABASE_URL"); v != "" {
		return v
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// dbOption changes how newBenchDB makes a database.
type dbOption func(*dbOptions)

type dbOptions struct{ bare bool }

// withoutMigrations leaves the database empty, for a start that migrates.
func withoutMigrations() dbOption { return func(o *dbOptions) { o.bare = true } }

// benchDBs numbers the databases of one run, so that two at once differ.
var benchDBs atomic.Int64

func newBenchDB(ctx context.Context, opts ...dbOption) (*benchDB, error) {
	var o dbOptions
	for _, opt := range opts {
		opt(&o)
	}
	admin := adminURL()
	cfg, err := pgx.ParseConfig(admin)
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("chatbot_bench_%d_%d", os.Getpid(), benchDBs.Add(1))
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("Postgres at %s: %w", cfg.Host, err)
	}
	defer conn.Close(ctx)
	_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return nil, err
	}
	url, err := withDatabase(admin, name)
	if err != nil {
		return nil, err
	}
	if !o.bare {
		if err := postgres.MigrateUp(url); err != nil {
			return nil, err
		}
	}
	pcfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	pcfg.MaxConns = 20
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, err
	}
	return &benchDB{Pool: pool, name: name, admin: admin}, nil
}

func (d *benchDB) Close() {
	d.Pool.Close()
	ctx := context.Background()
	if conn, err := pgx.Connect(ctx, d.admin); err == nil {
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+d.name+" WITH (FORCE)")
		_ = conn.Close(ctx)
	}
}

// benchNATS is an embedded server with its store in a temporary directory.
type benchNATS struct {
	emb *natsx.Embedded
	nc  *nats.Conn
	JS  jetstream.JetStream
	dir string
}

func newBenchNATS(sync string) (*benchNATS, error) {
	dir, err := os.MkdirTemp("", "chatbot-bench-nats")
	if err != nil {
		return nil, err
	}
	emb, err := natsx.StartEmbedded(natsx.EmbeddedOptions{Listen: "127.0.0.1:0", StoreDir: dir, SyncInterval: sync})
	if err != nil {
		return nil, err
	}
	svc := emb.Users().Service
	nc, err := nats.Connect(emb.ClientURL(), nats.InProcessServer(emb.Server), nats.UserInfo(svc.User, svc.Password))
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	return &benchNATS{emb: emb, nc: nc, JS: js, dir: dir}, nil
}

func (n *benchNATS) Close() {
	n.nc.Close()
	n.emb.Shutdown()
	_ = os.RemoveAll(n.dir)
}

func withDatabase(base, name string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

// edgeOptions are the HTTP edge's options as serve sets them by default,
// the access log included: a 2xx line at debug, under the info level, so
// not written; a request over 1 s logged as slow.
func edgeOptions(metrics *observability.Metrics) httpx.Options {
	return httpx.Options{
		Title: "bench", Version: "bench", BodyLimit: 1 << 20,
		ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, IdleTimeout: time.Minute,
		RequestTimeout: 10 * time.Second, Origins: httpx.NewOrigins(nil), Metrics: metrics,
		Logger:    observability.NewLogger(io.Discard, "info", "json"),
		AccessLog: httpx.AccessLog{Success: "debug", Slow: time.Second},
	}
}
