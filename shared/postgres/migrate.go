package postgres

import (
	"errors"
	"fmt"

	"github.com/golang-migrate/migrate/v4"
	migratepgx "github.com/golang-migrate/migrate/v4/database/pgx/v5"
	"github.com/golang-migrate/migrate/v4/source/iofs"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/chatbotsaas/chatbot/migrations"
)

// Migrator applies the embedded migrations to one database.
type Migrator struct{ m *migrate.Migrate }

// NewMigrator opens a dedicated connection for migrations. Concurrent
// migrators on one database serialise on an advisory lock.
func NewMigrator(url string) (*Migrator, error) {
	cc, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, errors.New("DATABASE_URL cannot be parsed")
	}
	src, err := iofs.New(migrations.FS, ".")
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	db := stdlib.OpenDB(*cc)
	drv, err := migratepgx.WithInstance(db, &migratepgx.Config{})
	if err != nil {
		_ = db.Close()
		return nil, describe(cc, err)
	}
	m, err := migrate.NewWithInstance("iofs", src, "pgx5", drv)
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return &Migrator{m: m}, nil
}

// Up applies every pending migration.
func (mg *Migrator) Up() error { return ignoreNoChange(mg.m.Up()) }

// Down rolls back n migrations (all of them when n <= 0).
func (mg *Migrator) Down(n int) error {
	if n <= 0 {
		return ignoreNoChange(mg.m.Down())
	}
	return ignoreNoChange(mg.m.Steps(-n))
}

// Force sets the version without running anything, to clear a dirty state.
func (mg *Migrator) Force(version int) error { return mg.m.Force(version) }

// Version reports the applied version and whether a migration failed halfway.
func (mg *Migrator) Version() (version uint, dirty bool, err error) {
	version, dirty, err = mg.m.Version()
	if errors.Is(err, migrate.ErrNilVersion) {
		return 0, false, nil
	}
	return version, dirty, err
}

// Close releases the migration connection.
func (mg *Migrator) Close() error {
	srcErr, dbErr := mg.m.Close()
	return errors.Join(srcErr, dbErr)
}

// MigrateUp applies every pending migration to the database at url.
func MigrateUp(url string) error {
	mg, err := NewMigrator(url)
	if err != nil {
		return err
	}
	defer mg.Close()
	if err := mg.Up(); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	return nil
}

func ignoreNoChange(err error) error {
	if errors.Is(err, migrate.ErrNoChange) {
		return nil
	}
	return err
}
