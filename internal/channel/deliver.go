package channel

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/blob"
	"github.com/baton-chat/baton/internal/store"
	"github.com/riverqueue/river"
)

// Deliverer is the job worker that delivers agent and bot messages to external channels
// (C6): at most store.DeliveryAttempts attempts with backoff, then the message is marked
// failed with the reason (and the team told by a message_updated event). A provider's
// rate limit (429, retry_after) waits as long as asked without using up an attempt. A
// channel not configured, or disconnected, logs a warning and does nothing.
type Deliverer struct {
	river.WorkerDefaults[store.DeliverArgs]
	DB       *store.DB
	Blobs    blob.Store
	Logger   *slog.Logger
	Adapters map[string]Adapter
	// Backoff is the wait before attempt n+1 after attempt n failed (nil: 10 s, 40 s, …).
	Backoff func(attempt int) time.Duration
	// MaxSnooze caps the wait a provider's rate limit may ask for (0: one hour).
	MaxSnooze time.Duration
}

// NextRetry spaces the attempts.
func (w *Deliverer) NextRetry(job *river.Job[store.DeliverArgs]) time.Time {
	if w.Backoff != nil {
		return time.Now().Add(w.Backoff(job.Attempt))
	}
	return time.Now().Add(time.Duration(job.Attempt*job.Attempt) * 10 * time.Second)
}

// Timeout bounds one attempt (uploads of large files included).
func (w *Deliverer) Timeout(*river.Job[store.DeliverArgs]) time.Duration { return 2 * time.Minute }

// Work delivers one message.
func (w *Deliverer) Work(ctx context.Context, job *river.Job[store.DeliverArgs]) error {
	a := job.Args
	log := w.Logger.With("channel", a.Channel, "conversation", a.ConversationID, "message", a.MessageID, "attempt", job.Attempt)
	out, err := w.DB.Outbound(ctx, a)
	if baton.ErrorCode(err) == baton.ENOTFOUND {
		return nil // deleted meanwhile: nothing to deliver
	} else if err != nil {
		if job.Attempt >= job.MaxAttempts {
			// Even what never reached the provider ends visibly failed, not queued forever.
			log.Warn("channel delivery failed: the message could not be prepared", "err", err)
			if serr := w.DB.SetDelivery(context.WithoutCancel(ctx), a.AccountID, a.ConversationID, a.MessageID, baton.DeliveryFailed,
				"Baton could not prepare the message for delivery.", ""); serr != nil && baton.ErrorCode(serr) != baton.ENOTFOUND {
				return serr
			}
			return river.JobCancel(err)
		}
		return err
	}
	switch out.Message.DeliveryStatus {
	case baton.DeliverySent, baton.DeliveryDelivered, baton.DeliveryRead:
		return nil // delivered by an earlier run of this job
	}
	adapter := w.Adapters[a.Channel]
	if adapter == nil {
		log.Warn("channel delivery: no adapter for this channel; nothing sent")
		return nil
	}
	cfg, err := w.DB.ChannelByID(ctx, out.ChatbotID, a.Channel)
	if baton.ErrorCode(err) == baton.ENOTFOUND {
		log.Warn("channel delivery: the channel is not configured; nothing sent", "chatbot", out.ChatbotID)
		return nil
	} else if err != nil {
		return err
	}
	if cfg.Status != baton.ChannelConnected {
		log.Warn("channel delivery: the channel is not connected; nothing sent", "chatbot", out.ChatbotID, "status", cfg.Status)
		return nil
	}
	msg := &Outbound{OutboundMessage: out, Tag: a.Tag, Template: a.Template,
		Open: func(ctx context.Context, f store.OutboundFile) (io.ReadCloser, error) {
			return w.Blobs.Open(ctx, f.BlobKey)
		}}
	externalID, err := adapter.Send(ctx, cfg, msg)
	if err == nil {
		return w.DB.SetDelivery(context.WithoutCancel(ctx), a.AccountID, a.ConversationID, a.MessageID, baton.DeliverySent, "", externalID)
	}
	se := AsSendError(err)
	if se.RetryAfter > 0 {
		wait := se.RetryAfter
		if max := w.maxSnooze(); wait > max {
			wait = max
		}
		log.Info("channel delivery: rate limited by the provider", "retry_after", wait.String(), "reason", se.Reason)
		return river.JobSnooze(wait)
	}
	if se.Permanent || job.Attempt >= job.MaxAttempts {
		log.Warn("channel delivery failed", "reason", se.Reason, "permanent", se.Permanent)
		if err := w.DB.SetDelivery(context.WithoutCancel(ctx), a.AccountID, a.ConversationID, a.MessageID, baton.DeliveryFailed, se.Reason, ""); err != nil {
			return err
		}
		return river.JobCancel(fmt.Errorf("channel delivery: %s", se.Reason))
	}
	log.Info("channel delivery will be retried", "reason", se.Reason)
	note := fmt.Sprintf("retrying (attempt %d of %d): %s", job.Attempt+1, job.MaxAttempts, se.Reason)
	if err := w.DB.SetDelivery(context.WithoutCancel(ctx), a.AccountID, a.ConversationID, a.MessageID, baton.DeliveryQueued, note, ""); err != nil &&
		baton.ErrorCode(err) != baton.ENOTFOUND {
		log.Warn("channel delivery: record the retry", "err", err)
	}
	return fmt.Errorf("channel delivery: %s", se.Reason)
}

func (w *Deliverer) maxSnooze() time.Duration {
	if w.MaxSnooze > 0 {
		return w.MaxSnooze
	}
	return time.Hour
}
