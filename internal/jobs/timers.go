package jobs

import (
	"context"

	"github.com/baton-chat/baton/internal/store"
	"github.com/riverqueue/river"
)

// AutoResolve is the auto-resolve timer (H8); it snoozes while the visitor is active.
type AutoResolve struct {
	river.WorkerDefaults[store.AutoResolveArgs]
	DB *store.DB
}

// Work resolves the conversation if it is due, or snoozes until it may be.
func (w *AutoResolve) Work(ctx context.Context, job *river.Job[store.AutoResolveArgs]) error {
	wait, err := w.DB.AutoResolve(ctx, job.Args)
	if err != nil {
		return err
	}
	if wait > 0 {
		return river.JobSnooze(wait)
	}
	return nil
}

// Abandon is the abandon timer (H8); it snoozes while the visitor is still around.
type Abandon struct {
	river.WorkerDefaults[store.AbandonArgs]
	DB *store.DB
}

// Work abandons the conversation if it is due, or snoozes until it may be.
func (w *Abandon) Work(ctx context.Context, job *river.Job[store.AbandonArgs]) error {
	wait, err := w.DB.Abandon(ctx, job.Args)
	if err != nil {
		return err
	}
	if wait > 0 {
		return river.JobSnooze(wait)
	}
	return nil
}
