package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/redis/go-redis/v9"

	"github.com/chatbotsaas/chatbot/command/eventstore"
	"github.com/chatbotsaas/chatbot/readmodel/cache"
	"github.com/chatbotsaas/chatbot/shared/config"
	"github.com/chatbotsaas/chatbot/shared/httpx"
	"github.com/chatbotsaas/chatbot/shared/natsx"
	"github.com/chatbotsaas/chatbot/shared/observability"
	"github.com/chatbotsaas/chatbot/shared/pii"
	"github.com/chatbotsaas/chatbot/shared/postgres"
	"github.com/chatbotsaas/chatbot/shared/redisx"
)

// runtime holds the connections of one process, opened in order and
// closed in reverse.
type runtime struct {
	cfg      config.Config
	log      *slog.Logger
	metrics  *observability.Metrics
	pool     *pgxpool.Pool
	embedded *natsx.Embedded
	nc       *nats.Conn
	natsURL  string        // "" for the embedded server
	natsAuth []nats.Option // the service user's credentials
	js       jetstream.JetStream
	redis    *redis.Client
	qcache   *cache.Cache // the query cache, see queryCache
	flush    func()
	vault    *pii.Vault

	storeMetricsOnce sync.Once
	eventMetrics     *eventstore.Metrics
}

// personalData opens the vault of personal data keys once per process.
func (rt *runtime) personalData(ctx context.Context) (*pii.Vault, error) {
	if rt.vault != nil {
		return rt.vault, nil
	}
	kek, err := pii.LoadKEK(rt.cfg.PersonalDataKeyFile, rt.cfg.DataDir, rt.log)
	if err != nil {
		return nil, err
	}
	previous, err := pii.LoadPreviousKEK(rt.cfg.PersonalDataPrevious)
	if err != nil {
		return nil, err
	}
	vault, err := pii.Open(context.WithoutCancel(ctx), rt.js, kek, rt.cfg.NATSReplicas)
	if err != nil {
		return nil, err
	}
	if previous != nil {
		if err := vault.AcceptPrevious(previous); err != nil {
			return nil, err
		}
	}
	rt.vault = vault
	return rt.vault, nil
}

// natsMode says how a process reaches NATS when NATS_URL is empty.
type natsMode int

const (
	natsOwn    natsMode = iota // start the embedded server (serve)
	natsShared                 // use the one a running serve announced, else start one
)

// stores are the stores besides NATS that a runtime opens.
type stores uint8

const (
	withPostgres stores = 1 << iota // migrated when AUTO_MIGRATE is on
	withRedis
)

// openRuntime opens logging, Sentry, the stores it is asked for (the write
// side alone appends to the stream and holds no database), and NATS. Every
// error is one line naming what failed.
func openRuntime(ctx context.Context, e env, cfg config.Config, name string, mode natsMode, open stores) (*runtime, error) {
	rt := &runtime{cfg: cfg, flush: func() {}}
	rt.log = observability.NewLogger(e.stdout, cfg.LogLevel, cfg.LogFormat).With("process", name)
	slog.SetDefault(rt.log)
	rt.metrics = observability.NewMetrics()
	rt.buildInfo()
	if cfg.PprofAddr != "" {
		servePprof(cfg.PprofAddr, rt.log)
	}

	flush, err := observability.InitSentry(cfg.SentryDSN, cfg.SentryEnvironment, versionString())
	if err != nil {
		return nil, fmt.Errorf("SENTRY_DSN rejected: %v", err)
	}
	rt.flush = flush

	if open&withPostgres != 0 {
		if rt.pool, err = postgres.Open(ctx, cfg.DatabaseURL, cfg.DatabaseMaxConns, cfg.AutoMigrate); err != nil {
			rt.close()
			return nil, err
		}
	}
	if open&withPostgres != 0 && cfg.AutoMigrate {
		if err := postgres.MigrateUp(cfg.DatabaseURL); err != nil {
			rt.close()
			return nil, err
		}
	}
	if err := rt.openNATS(mode, name); err != nil {
		rt.close()
		return nil, err
	}
	if open&withRedis != 0 {
		if rt.redis, err = redisx.Open(cfg.RedisURL); err != nil {
			rt.close()
			return nil, err
		}
		if rt.redis != nil {
			redisx.SetLogger(rt.log)
			if err := redisx.Ping(ctx, rt.redis, 2*time.Second); err != nil {
				rt.log.Warn("Redis does not answer; running degraded until it does", "err", err)
			}
		}
	}
	return rt, nil
}

func (rt *runtime) openNATS(mode natsMode, name string) error {
	url := rt.cfg.NATSURL
	auth, err := externalAuth(rt.cfg.NATSAuth)
	if err != nil {
		return err
	}
	if url == "" {
		users, err := embeddedUsers(rt.cfg)
		if err != nil {
			return err
		}
		svc := nats.UserInfo(users.Service.User, users.Service.Password)
		if mode == natsShared {
			url = natsx.ReadAddrFile(rt.cfg.DataDir)
			if url != "" && !reachable(url, svc) {
				url = ""
			}
		}
		if url == "" {
			if err := rt.startEmbedded(users); err != nil {
				return err
			}
		}
		auth = []nats.Option{svc}
	}
	nc, err := natsx.Connect(url, rt.embedded, "chatbotd "+name, rt.log, auth...)
	if err != nil {
		return err
	}
	rt.nc, rt.natsURL, rt.natsAuth = nc, url, auth
	if rt.js, err = jetstream.New(nc); err != nil {
		return fmt.Errorf("JetStream: %v", err)
	}
	return nil
}

func (rt *runtime) startEmbedded(users *natsx.Users) error {
	if err := os.MkdirAll(rt.cfg.DataDir, 0o750); err != nil {
		return fmt.Errorf("cannot create DATA_DIR %s: %v", rt.cfg.DataDir, err)
	}
	emb, err := natsx.StartEmbedded(natsx.EmbeddedOptions{
		Listen:       rt.cfg.NATSListen,
		StoreDir:     rt.cfg.NATSStoreDir(),
		SyncInterval: rt.cfg.NATSSyncInterval,
		AddrFile:     filepath.Join(rt.cfg.DataDir, natsx.AddrFile),
		Users:        users,
		Logger:       rt.log,
	})
	if err != nil {
		return err
	}
	rt.embedded = emb
	rt.log.Info("embedded NATS server started", "url", emb.ClientURL(), "store", rt.cfg.NATSStoreDir(), "sync", rt.cfg.NATSSyncInterval)
	return nil
}

// checks are the readiness probes of this runtime.
func (rt *runtime) checks() []httpx.Check {
	js := rt.js
	var checks []httpx.Check
	if rt.pool != nil {
		checks = append(checks, httpx.Check{Name: "postgres", Critical: true, Probe: func(ctx context.Context) error {
			return postgres.Ping(ctx, rt.pool, 2*time.Second)
		}})
	}
	checks = append(checks,
		httpx.Check{Name: "nats", Critical: true, Probe: func(ctx context.Context) error {
			if !rt.nc.IsConnected() {
				return errors.New("not connected")
			}
			_, err := js.AccountInfo(ctx)
			return err
		}})
	redisCheck := httpx.Check{Name: "redis"}
	if rt.redis != nil {
		redisCheck.Probe = func(ctx context.Context) error { return redisx.Ping(ctx, rt.redis, time.Second) }
	}
	return append(checks, redisCheck)
}

// close releases everything in reverse order of opening: the NATS
// connection drains before the embedded server stops.
func (rt *runtime) close() {
	if rt.nc != nil {
		if err := rt.nc.Drain(); err != nil {
			rt.nc.Close()
		}
		for i := 0; i < 50 && !rt.nc.IsClosed(); i++ {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if rt.embedded != nil {
		rt.embedded.Shutdown()
	}
	if rt.qcache != nil {
		rt.qcache.Close()
	}
	if rt.redis != nil {
		_ = rt.redis.Close()
	}
	if rt.pool != nil {
		rt.pool.Close()
	}
	rt.flush()
}
