package storetest

import (
	"context"
	"sync"
	"time"

	"github.com/baton-chat/baton/internal/store"
	"github.com/riverqueue/river"
)

// Clock is a settable time source for store.DB.Now.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock that reads t until moved.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's reading.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Jobs records the jobs that committed transactions enqueue (a store.JobQueue without a
// job system: the jobs are counted, never run).
type Jobs struct {
	mu   sync.Mutex
	jobs []river.JobArgs
}

// InsertTx records the job.
func (f *Jobs) InsertTx(_ context.Context, _ *store.Tx, args river.JobArgs, _ *river.InsertOpts) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.jobs = append(f.jobs, args)
	return nil
}

// Count returns how many jobs of kind were enqueued.
func (f *Jobs) Count(kind string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, j := range f.jobs {
		if j.Kind() == kind {
			n++
		}
	}
	return n
}
