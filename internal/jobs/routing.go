package jobs

import (
	"context"

	"github.com/baton-chat/baton/internal/store"
	"github.com/riverqueue/river"
)

// RingTimeout moves an offered conversation the agent did not accept in time to the next
// agent (Q1's optional ring-no-answer).
type RingTimeout struct {
	river.WorkerDefaults[store.RingTimeoutArgs]
	DB *store.DB
}

// Work moves the offer, if it is still pending.
func (w *RingTimeout) Work(ctx context.Context, job *river.Job[store.RingTimeoutArgs]) error {
	return w.DB.RingTimeout(ctx, job.Args)
}
