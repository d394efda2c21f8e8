package postgres

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Open connects a pool to url and checks that the server answers. When
// createMissing is set and the database does not exist, it is created first
// (through the maintenance database of the same server).
func Open(ctx context.Context, url string, maxConns int32, createMissing bool) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, errors.New("DATABASE_URL cannot be parsed")
	}
	if maxConns > 0 {
		cfg.MaxConns = maxConns
	}
	cfg.MaxConnIdleTime = 5 * time.Minute
	cfg.HealthCheckPeriod = 15 * time.Second
	cfg.ConnConfig.ConnectTimeout = 5 * time.Second

	err = ping(ctx, cfg.ConnConfig)
	if isMissingDatabase(err) && createMissing {
		if err = createDatabase(ctx, cfg.ConnConfig); err == nil {
			err = ping(ctx, cfg.ConnConfig)
		}
	}
	if err != nil {
		return nil, describe(cfg.ConnConfig, err)
	}
	return pgxpool.NewWithConfig(ctx, cfg)
}

// Ping checks that the pool can reach the server within timeout.
func Ping(ctx context.Context, pool *pgxpool.Pool, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return pool.Ping(ctx)
}

func ping(ctx context.Context, cc *pgx.ConnConfig) error {
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return err
	}
	return conn.Close(ctx)
}

func isMissingDatabase(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "3D000"
}

func createDatabase(ctx context.Context, target *pgx.ConnConfig) error {
	admin := target.Copy()
	admin.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, admin)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{target.Database}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // created meanwhile by another process
		return nil
	}
	return err
}

// describe turns a connection error into one line naming the server and
// the setting, without the password or a driver dump.
func describe(cc *pgx.ConnConfig, err error) error {
	where := fmt.Sprintf("Postgres at %s:%d (database %q, DATABASE_URL)", cc.Host, cc.Port, cc.Database)
	var pgErr *pgconn.PgError
	var netErr *net.OpError
	switch {
	case errors.As(err, &pgErr):
		return fmt.Errorf("%s refused the connection: %s (SQLSTATE %s)", where, pgErr.Message, pgErr.Code)
	case errors.As(err, &netErr):
		return fmt.Errorf("cannot reach %s: %v", where, netErr.Err)
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("cannot reach %s: timed out", where)
	}
	return fmt.Errorf("cannot connect to %s: %v", where, err)
}
