package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
	"github.com/riverqueue/river"
)

// recorder is a Publisher that keeps what it was given, in order.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) Publish(_ context.Context, evs []*baton.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range evs {
		r.events = append(r.events, e.Type)
	}
}

// TestGroupCommit holds the SQLite writer with one write while others queue behind it, so
// that the queued ones commit as one group: a write that fails, panics or whose caller gave
// up is rolled back alone, the others are stored and published in the order they ran, and
// what waits for their commit happens once although they ran again after each failure.
func TestGroupCommit(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	pub := &recorder{}
	db.Publisher = pub
	ctx := context.Background()
	if _, err := db.SQL().ExecContext(ctx, `CREATE TABLE scratch (n INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	var (
		onceMu sync.Mutex
		once   []int // what ran after each commit: once per committed write, never for others
	)
	insert := func(n int) func(tx *store.Tx) error {
		return func(tx *store.Tx) error {
			if _, err := tx.Conn().Exec(ctx, `INSERT INTO scratch (n) VALUES ($1)`, n); err != nil {
				return err
			}
			tx.Emit(&baton.Event{Type: fmt.Sprintf("w%d", n)})
			store.AfterCommit(tx, func() { onceMu.Lock(); once = append(once, n); onceMu.Unlock() })
			return nil
		}
	}

	release := make(chan struct{})
	var wg sync.WaitGroup
	errs := make([]error, 7)
	wg.Add(1)
	go func() { // the write that holds the writer
		defer wg.Done()
		errs[0] = db.Write(ctx, func(tx *store.Tx) error {
			<-release
			return insert(0)(tx)
		})
	}()
	waitQueued := func(n int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for store.QueuedWrites(db) < n {
			if time.Now().After(deadline) {
				t.Fatalf("%d writes queued, want %d", store.QueuedWrites(db), n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	// Let the first write start (it leaves the queue), then queue the group, one by one so
	// that their order is known.
	time.Sleep(50 * time.Millisecond)
	waitQueued(0)
	gone, giveUp := context.WithCancel(ctx)
	writes := []struct {
		ctx context.Context
		fn  func(tx *store.Tx) error
	}{
		{ctx, insert(1)},
		{ctx, func(tx *store.Tx) error { // stores a row, then fails: the row must go
			if err := insert(2)(tx); err != nil {
				return err
			}
			return errors.New("refused")
		}},
		{ctx, insert(3)},
		{ctx, func(tx *store.Tx) error { insert(4)(tx); panic("boom") }},
		{gone, insert(5)}, // its caller gives up before the group runs
		{ctx, insert(1)},  // a duplicate key: a statement error inside the group
	}
	for i, w := range writes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i+1] = db.Write(w.ctx, w.fn)
		}()
		waitQueued(i + 1)
	}
	giveUp()
	close(release)
	wg.Wait()

	for i, want := range []string{"", "", "refused", "", "panicked", "context canceled", "UNIQUE"} {
		switch err := errs[i]; {
		case want == "" && err != nil:
			t.Errorf("write %d: %v", i, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("write %d: err = %v, want %q", i, err, want)
		}
	}
	rows, err := db.SQL().QueryContext(ctx, `SELECT n FROM scratch ORDER BY n`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []int
	for rows.Next() {
		var n int
		rows.Scan(&n)
		got = append(got, n)
	}
	if fmt.Sprint(got) != "[0 1 3]" {
		t.Errorf("stored rows %v, want [0 1 3]", got)
	}
	if fmt.Sprint(pub.events) != "[w0 w1 w3]" {
		t.Errorf("published %v, want [w0 w1 w3] in that order", pub.events)
	}
	// Writes 1 and 3 ran again after each failure in their group, but committed once.
	if fmt.Sprint(once) != "[0 1 3]" {
		t.Errorf("after-commit functions ran for %v, want [0 1 3]", once)
	}
}

// inOneGroup holds the SQLite writer with a write of its own, starts each write in turn
// (each calls db.Write once, directly or not) once the one before it is queued, then lets
// the writer go, so that they commit as one group; it returns their errors.
func inOneGroup(t *testing.T, db *store.DB, writes ...func() error) []error {
	t.Helper()
	release := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		db.Write(context.Background(), func(tx *store.Tx) error { <-release; return nil })
	}()
	time.Sleep(50 * time.Millisecond) // the holding write leaves the queue
	errs := make([]error, len(writes))
	for i, w := range writes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = w()
		}()
		deadline := time.Now().Add(10 * time.Second)
		for store.QueuedWrites(db) < i+1 {
			if time.Now().After(deadline) {
				t.Fatalf("%d writes queued, want %d", store.QueuedWrites(db), i+1)
			}
			time.Sleep(time.Millisecond)
		}
	}
	close(release)
	wg.Wait()
	return errs
}

// TestGroupCommitIndexesItsMessages queues visitor messages behind a held writer so that
// they commit as one group, with a write that stores a message and then fails: the group
// indexes its messages for search once, before COMMIT (migration 00009), so every message
// of the group is found, the failed write's message is not, and the index agrees with the
// messages table.
func TestGroupCommitIndexesItsMessages(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	e := setup(t, db)
	ctx := context.Background()
	e.say(t, func() *baton.Visitor { _, v := e.visitor(t, "before"); return v }(), "indexed before the group: zebra")

	const n = 6
	visitors := make([]*baton.Visitor, n)
	convs := make([]string, n)
	for i := range visitors {
		s, v := e.visitor(t, fmt.Sprintf("v%d", i))
		visitors[i], convs[i] = v, s.ConversationID
	}
	writes := make([]func() error, n+1)
	for i := range n {
		writes[i] = func() error {
			_, err := db.PostVisitorMessage(ctx, visitors[i], fmt.Sprintf("parcel number%d", i))
			return err
		}
	}
	writes[n] = func() error { // stores a message, then fails: it must leave no words behind
		return db.Write(ctx, func(tx *store.Tx) error {
			if _, err := tx.Conn().Exec(ctx, `INSERT INTO messages (id, account_id, conversation_id, seq, kind, content, created_at)
				VALUES ('failed', $1, $2, 1000, 'visitor', 'walrus', $3)`, e.account.ID, convs[0], tx.Now()); err != nil {
				return err
			}
			return errors.New("refused")
		})
	}
	errs := inOneGroup(t, db, writes...)
	for i, err := range errs[:n] {
		if err != nil {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if errs[n] == nil || errs[n].Error() != "refused" {
		t.Fatalf("failing write: err = %v, want refused", errs[n])
	}
	for i := range n {
		if got := e.list(t, baton.ConversationFilter{Query: fmt.Sprintf("number%d", i)}); fmt.Sprint(got) != fmt.Sprint(convs[i:i+1]) {
			t.Errorf("search number%d = %v, want %v", i, got, convs[i])
		}
	}
	if got := e.list(t, baton.ConversationFilter{Query: "parcel"}); len(got) != n {
		t.Errorf("search parcel found %d conversations, want %d", len(got), n)
	}
	if got := e.list(t, baton.ConversationFilter{Query: "zebra"}); len(got) != 1 {
		t.Errorf("search zebra found %d conversations, want 1", len(got))
	}
	if got := e.list(t, baton.ConversationFilter{Query: "walrus"}); len(got) != 0 {
		t.Errorf("search walrus = %v: the failed write's message is indexed", got)
	}
	// With rank 1, FTS5 also checks the index against its content table, row by row.
	if _, err := db.SQL().ExecContext(ctx, `INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)`); err != nil {
		t.Errorf("messages_fts integrity-check: %v", err)
	}
}

// namedJob is a job whose kind the test chooses.
type namedJob string

func (j namedJob) Kind() string { return string(j) }

// batchingJobs is a store.JobBatcher that records how jobs arrive: one by one, or in a
// group's batch; a job of kind refuse is refused either way.
type batchingJobs struct {
	mu      sync.Mutex
	refuse  string
	single  []string
	batches [][]string
}

func (b *batchingJobs) InsertTx(_ context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) error {
	if tx.DeferJob(args, opts) {
		return nil
	}
	if args.Kind() == b.refuse {
		return errors.New("job refused")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.single = append(b.single, args.Kind())
	return nil
}

func (b *batchingJobs) InsertManySQLite(_ context.Context, _ *sql.Tx, jobs []river.InsertManyParams) error {
	var kinds []string
	for _, j := range jobs {
		if j.Args.Kind() == b.refuse {
			return errors.New("job refused")
		}
		kinds = append(kinds, j.Args.Kind())
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.batches = append(b.batches, kinds)
	return nil
}

// TestGroupCommitInsertsItsJobsTogether: the jobs a group's writes enqueue are inserted in
// one batch before COMMIT; when the batch fails, each write runs again and inserts its own,
// so that only the write whose job is refused fails.
func TestGroupCommitInsertsItsJobsTogether(t *testing.T) {
	for _, refuse := range []string{"", "b"} {
		t.Run("refuse "+refuse, func(t *testing.T) {
			db := storetest.Open(t, store.SQLite)
			jobs := &batchingJobs{refuse: refuse}
			db.Jobs = jobs
			ctx := context.Background()
			if _, err := db.SQL().ExecContext(ctx, `CREATE TABLE scratch (k TEXT PRIMARY KEY)`); err != nil {
				t.Fatal(err)
			}
			var writes []func() error
			for _, k := range []string{"a", "b", "c"} {
				writes = append(writes, func() error {
					return db.Write(ctx, func(tx *store.Tx) error {
						if _, err := tx.Conn().Exec(ctx, `INSERT INTO scratch (k) VALUES ($1)`, k); err != nil {
							return err
						}
						return db.Jobs.InsertTx(ctx, tx, namedJob(k), nil)
					})
				})
			}
			errs := inOneGroup(t, db, writes...)

			var stored []string
			rows, err := db.SQL().QueryContext(ctx, `SELECT k FROM scratch ORDER BY k`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var k string
				rows.Scan(&k)
				stored = append(stored, k)
			}
			rows.Close()
			if refuse == "" {
				if fmt.Sprint(errs) != "[<nil> <nil> <nil>]" || fmt.Sprint(stored) != "[a b c]" {
					t.Fatalf("errors %v, stored %v", errs, stored)
				}
				if fmt.Sprint(jobs.batches) != "[[a b c]]" || len(jobs.single) != 0 {
					t.Errorf("jobs inserted in batches %v and one by one %v, want one batch [a b c]", jobs.batches, jobs.single)
				}
				return
			}
			if errs[0] != nil || errs[2] != nil || errs[1] == nil || errs[1].Error() != "job refused" {
				t.Fatalf("errors %v, want only b's write refused", errs)
			}
			if fmt.Sprint(stored) != "[a c]" {
				t.Errorf("stored %v, want [a c]: the refused job's write rolls back, alone", stored)
			}
			if len(jobs.batches) != 0 || fmt.Sprint(jobs.single) != "[a c]" {
				t.Errorf("jobs inserted in batches %v and one by one %v, want a and c one by one", jobs.batches, jobs.single)
			}
		})
	}
}
