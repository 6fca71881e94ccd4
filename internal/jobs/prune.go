package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/baton-chat/baton/internal/audit"
	"github.com/baton-chat/baton/internal/store"
	"github.com/riverqueue/river"
)

// PruneArgs asks for the logs past their retention to be deleted (store.Prune).
type PruneArgs struct{}

func (PruneArgs) Kind() string { return "prune" }

// Prune deletes finished webhook deliveries and inbound receipts past their retention,
// stale rate marks, expired sessions, and audit log entries past each account's retention
// (audit.Prune). It runs at start and every PruneInterval, on the
// leader only (River's periodic jobs), so one node of a cluster does it.
type Prune struct {
	river.WorkerDefaults[PruneArgs]
	DB     *store.DB
	Logger *slog.Logger
}

// PruneInterval is how often Prune runs.
const PruneInterval = 6 * time.Hour

func (w *Prune) Work(ctx context.Context, _ *river.Job[PruneArgs]) error {
	p, err := w.DB.Prune(ctx)
	if err != nil {
		return err
	}
	entries, err := audit.Prune(ctx, w.DB)
	if err != nil {
		return err
	}
	tokens, err := w.DB.PruneVisitorTokens(ctx)
	if err != nil {
		return err
	}
	w.Logger.Info("pruned logs", "webhook_deliveries", p.Deliveries, "inbound_receipts", p.Receipts,
		"rate_marks", p.RateMarks, "sessions", p.Sessions, "audit_entries", entries, "visitor_tokens", tokens)
	return nil
}

// PrunePeriodically is the periodic job that schedules Prune.
func PrunePeriodically() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(PruneInterval), func() (river.JobArgs, *river.InsertOpts) {
		return PruneArgs{}, &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: PruneInterval}}
	}, &river.PeriodicJobOpts{ID: "prune", RunOnStart: true})
}
