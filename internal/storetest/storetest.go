// Package storetest opens real test databases: a temporary SQLite file always, and a
// fresh PostgreSQL database when BATON_TEST_DATABASE_URL is set (dropped after the test).
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/baton-chat/baton/internal/store"
	"github.com/jackc/pgx/v5"
)

// Dialects lists the databases to test against: sqlite always, postgres when configured.
func Dialects() []store.Dialect {
	if os.Getenv("BATON_TEST_DATABASE_URL") != "" {
		return []store.Dialect{store.SQLite, store.Postgres}
	}
	return []store.Dialect{store.SQLite}
}

// Each runs fn once per dialect as a subtest named for it.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, d := range Dialects() {
		t.Run(string(d), func(t *testing.T) { fn(t, Open(t, d)) })
	}
}

// Config returns a store configuration for a new, empty database of the dialect; the
// database is removed when the test ends.
func Config(t testing.TB, d store.Dialect) store.Config {
	t.Helper()
	if d == store.SQLite {
		return store.Config{DataDir: t.TempDir()}
	}
	base := os.Getenv("BATON_TEST_DATABASE_URL")
	if base == "" {
		t.Skip("BATON_TEST_DATABASE_URL is not set")
	}
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to %s: %v", base, err)
	}
	defer admin.Close(ctx)
	b := make([]byte, 6)
	rand.Read(b)
	name := "baton_test_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err != nil {
			return
		}
		defer c.Close(context.Background())
		c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse BATON_TEST_DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	return store.Config{URL: u.String(), DataDir: t.TempDir()}
}

// Open opens a new, empty, migrated database of the dialect.
func Open(t testing.TB, d store.Dialect) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), Config(t, d))
	if err != nil {
		t.Fatalf("open %s: %v", d, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
