package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/baton-chat/baton/internal/jobs"
	"github.com/baton-chat/baton/internal/store"
	"github.com/baton-chat/baton/internal/storetest"
	"github.com/riverqueue/river"
)

// holdArgs is a job that holds its worker until the test lets it go.
type holdArgs struct{}

func (holdArgs) Kind() string { return "test_hold" }

type holdWorker struct {
	river.WorkerDefaults[holdArgs]
	started chan struct{}
	release chan struct{}
}

func (w *holdWorker) Work(ctx context.Context, _ *river.Job[holdArgs]) error {
	w.started <- struct{}{}
	select {
	case <-w.release:
	case <-ctx.Done():
	}
	return nil
}

// pingArgs is a job that says it ran.
type pingArgs struct{}

func (pingArgs) Kind() string { return "test_ping" }

type pingWorker struct {
	river.WorkerDefaults[pingArgs]
	ran chan struct{}
}

func (w *pingWorker) Work(context.Context, *river.Job[pingArgs]) error {
	w.ran <- struct{}{}
	return nil
}

// TestChannelQueueHasItsOwnWorkers: with every worker of one queue held (a provider that
// hangs), a job of the other queue still runs — both ways.
func TestChannelQueueHasItsOwnWorkers(t *testing.T) {
	for _, c := range []struct{ name, held, other string }{
		{"channel deliveries run while every default worker is held", river.QueueDefault, store.QueueChannels},
		{"other jobs run while every channel worker is held", store.QueueChannels, river.QueueDefault},
	} {
		t.Run(c.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, d *store.DB) {
				ctx := context.Background()
				hold := &holdWorker{started: make(chan struct{}, 1), release: make(chan struct{})}
				ping := &pingWorker{ran: make(chan struct{}, 1)}
				workers := river.NewWorkers()
				river.AddWorker(workers, hold)
				river.AddWorker(workers, ping)
				q, err := jobs.New(ctx, d, jobs.Config{Workers: workers, Logger: quiet(), MaxWorkers: 1, ChannelWorkers: 1})
				if err != nil {
					t.Fatal(err)
				}
				d.Jobs = q
				if err := q.Start(ctx); err != nil {
					t.Fatal(err)
				}
				defer func() {
					close(hold.release)
					stopCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
					defer cancel()
					q.Stop(stopCtx)
				}()
				insert := func(args river.JobArgs, queue string) {
					t.Helper()
					if err := d.Write(ctx, func(tx *store.Tx) error {
						return q.InsertTx(ctx, tx, args, &river.InsertOpts{Queue: queue})
					}); err != nil {
						t.Fatal(err)
					}
				}
				insert(holdArgs{}, c.held)
				select {
				case <-hold.started:
				case <-time.After(20 * time.Second):
					t.Fatalf("the holding job never started in queue %q", c.held)
				}
				insert(pingArgs{}, c.other)
				select {
				case <-ping.ran:
				case <-time.After(20 * time.Second):
					t.Fatalf("a job of queue %q did not run while the only worker of %q was held", c.other, c.held)
				}
			})
		})
	}
}

// uniqueArgs is a job River keeps one of per argument.
type uniqueArgs struct {
	Key string `json:"key"`
}

func (uniqueArgs) Kind() string { return "test_unique" }

// TestJobsOfOneWriteGoInTogether: on SQLite a write's jobs wait for the group's one batch
// insert; the same unique job enqueued twice in it is stored once, as two inserts one after
// the other would store it, and the other jobs of the batch are all stored.
func TestJobsOfOneWriteGoInTogether(t *testing.T) {
	storetest.Each(t, func(t *testing.T, d *store.DB) {
		ctx := context.Background()
		q, err := jobs.New(ctx, d, jobs.Config{InsertOnly: true, Logger: quiet()})
		if err != nil {
			t.Fatal(err)
		}
		d.Jobs = q
		unique := &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true}}
		if err := d.Write(ctx, func(tx *store.Tx) error {
			for _, a := range []river.JobArgs{uniqueArgs{"a"}, pingArgs{}, uniqueArgs{"a"}, uniqueArgs{"b"}, pingArgs{}} {
				opts := unique
				if _, ok := a.(pingArgs); ok {
					opts = nil
				}
				if err := q.InsertTx(ctx, tx, a, opts); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for kind, want := range map[string]int{"test_unique": 2, "test_ping": 2} {
			got, err := q.JobsOfKind(ctx, kind)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != want {
				t.Errorf("%d jobs of kind %s stored, want %d", len(got), kind, want)
			}
		}
	})
}
