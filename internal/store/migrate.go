package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations
var migrations embed.FS

// migrate brings the schema up to date. On PostgreSQL a session advisory lock makes it
// safe for several nodes starting at once: one migrates, the others wait and find nothing
// left to do.
func (d *DB) migrate(ctx context.Context) error {
	var (
		provider *goose.Provider
		err      error
	)
	switch d.Dialect {
	case Postgres:
		sub, _ := fs.Sub(migrations, "migrations/postgres")
		locker, lerr := lock.NewPostgresSessionLocker()
		if lerr != nil {
			return fmt.Errorf("store: migration lock: %w", lerr)
		}
		sqldb := stdlib.OpenDBFromPool(d.pg)
		defer sqldb.Close()
		provider, err = goose.NewProvider(goose.DialectPostgres, sqldb, sub, goose.WithSessionLocker(locker))
	default:
		sub, _ := fs.Sub(migrations, "migrations/sqlite")
		provider, err = goose.NewProvider(goose.DialectSQLite3, d.writer, sub)
	}
	if err != nil {
		return fmt.Errorf("store: migrations: %w", err)
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return nil
}
