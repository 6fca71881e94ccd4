package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/baton-chat/baton/internal/store"
)

// TestCheckpoints: the checkpointer copies the log back beside the writer, after which the
// next write starts the log over instead of growing it; a log past the hard limit is
// truncated; and a closed database leaves no log behind.
func TestCheckpoints(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	d, err := store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.SQL().ExecContext(ctx, `CREATE TABLE scratch (n INTEGER PRIMARY KEY, pad TEXT)`); err != nil {
		t.Fatal(err)
	}
	pad := strings.Repeat("x", 3000) // about a page a row
	write := func(from, n int) {
		t.Helper()
		for i := from; i < from+n; i++ {
			err := d.Write(ctx, func(tx *store.Tx) error {
				_, err := tx.SQL.ExecContext(ctx, `INSERT INTO scratch (n, pad) VALUES (?, ?)`, i, pad)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	var threshold int
	if err := d.SQL().QueryRowContext(ctx, `PRAGMA wal_autocheckpoint`).Scan(&threshold); err != nil || threshold != 16000 {
		t.Fatalf("writer's wal_autocheckpoint = %d, %v; want 16000", threshold, err)
	}
	// A background checkpoint running while the writer starts keeps it from restarting the
	// log, so the loop is stopped and the test's own checkpoints are the only ones; each
	// returns the pages in the log when it ran.
	store.StopCheckpointLoop(d)
	write(0, 300)
	grown, err := store.Checkpoint(d)
	if err != nil {
		t.Fatal(err)
	}
	write(300, 20)
	after, err := store.Checkpoint(d)
	if err != nil {
		t.Fatal(err)
	}
	if after >= grown {
		t.Errorf("log after a checkpoint and 20 more writes = %d pages, want fewer than the %d before: restarted, not grown", after, grown)
	}

	store.SetWALHardLimit(d, 1)
	write(320, 5)
	if pages, err := store.Checkpoint(d); err != nil || pages != 0 {
		t.Errorf("checkpoint past the hard limit = %d pages, %v; want a truncated log (0)", pages, err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "baton.db-wal")); err == nil && fi.Size() != 0 {
		t.Errorf("log file after a truncating checkpoint = %d bytes, want 0", fi.Size())
	}

	write(325, 50)
	if err := d.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "baton.db-wal")); err == nil && fi.Size() != 0 {
		t.Errorf("log file after Close = %d bytes, want none", fi.Size())
	}
	d2, err := store.Open(ctx, store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer d2.Close()
	var n int
	if err := d2.SQL().QueryRowContext(ctx, `SELECT count(*) FROM scratch`).Scan(&n); err != nil || n != 375 {
		t.Errorf("rows after reopening = %d, %v; want 375", n, err)
	}
}
