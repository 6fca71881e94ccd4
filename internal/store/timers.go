package store

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store/db"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Timers (H8) are durable River jobs, one of each kind per conversation: they survive
// restarts, run once across nodes, and re-check the conversation when they fire — a job
// that fires early (the visitor wrote meanwhile) snoozes until the new due time. Time comes
// from d.Now, so tests move a fake clock instead of sleeping.

// AutoResolveArgs resolves a conversation after the chatbot's hours of visitor inactivity.
type AutoResolveArgs struct {
	AccountID      string `json:"account_id"`
	ConversationID string `json:"conversation_id"`
}

// Kind names the job for River.
func (AutoResolveArgs) Kind() string { return "auto_resolve" }

// AbandonArgs marks a waiting conversation abandoned when its visitor has been gone for
// the chatbot's minutes.
type AbandonArgs struct {
	AccountID      string `json:"account_id"`
	ConversationID string `json:"conversation_id"`
}

// Kind names the job for River.
func (AbandonArgs) Kind() string { return "abandon" }

// timerUnique keeps one pending timer of a kind per conversation; a finished one does not
// stop a new one (after a reopen, say).
var timerUnique = river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{rivertype.JobStateAvailable,
	rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateScheduled, rivertype.JobStateRetryable}}

func (ct *convTx) timers() (baton.TimerSettings, error) {
	bot, err := ct.GetChatbotByID(ct.ctx, ct.c.ChatbotID)
	if err != nil {
		return baton.TimerSettings{}, err
	}
	return *parseSettings(bot.Settings).Timers, nil
}

// scheduleTimers enqueues the timers that apply to the conversation's status now.
func (ct *convTx) scheduleTimers() error {
	if ct.d.Jobs == nil {
		return nil
	}
	t, err := ct.timers()
	if err != nil {
		return err
	}
	switch baton.Status(ct.c.Status) {
	case baton.StatusBot, baton.StatusHuman:
		if t.AutoResolveHours > 0 {
			at := time.Now().Add(time.Duration(t.AutoResolveHours) * time.Hour)
			return ct.d.Jobs.InsertTx(ct.ctx, ct.Tx, AutoResolveArgs{ct.c.AccountID, ct.c.ID},
				&river.InsertOpts{ScheduledAt: at, UniqueOpts: timerUnique, MaxAttempts: 5})
		}
	case baton.StatusWaiting, baton.StatusOffline:
		if t.AbandonMinutes > 0 {
			at := time.Now().Add(time.Duration(t.AbandonMinutes) * time.Minute)
			return ct.d.Jobs.InsertTx(ct.ctx, ct.Tx, AbandonArgs{ct.c.AccountID, ct.c.ID},
				&river.InsertOpts{ScheduledAt: at, UniqueOpts: timerUnique, MaxAttempts: 5})
		}
	}
	return nil
}

func laterOf(ts ...*time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if t != nil && t.After(out) {
			out = *t
		}
	}
	return out
}

// AutoResolve resolves the conversation if its visitor has been silent for the chatbot's
// hours; otherwise it returns how long to wait before checking again (0: the timer is
// done — the conversation left bot/human, or the timer is off).
func (d *DB) AutoResolve(ctx context.Context, a AutoResolveArgs) (time.Duration, error) {
	var wait time.Duration
	err := d.Write(ctx, func(tx *Tx) error {
		if err := tx.lockRouting(ctx, a.AccountID); err != nil {
			return err
		}
		ct, err := d.lockConversation(ctx, tx, a.AccountID, a.ConversationID)
		if baton.ErrorCode(err) == baton.ENOTFOUND {
			return nil
		} else if err != nil {
			return err
		}
		s := baton.Status(ct.c.Status)
		if s != baton.StatusBot && s != baton.StatusHuman {
			return nil
		}
		t, err := ct.timers()
		if err != nil || t.AutoResolveHours <= 0 {
			return err
		}
		limit := time.Duration(t.AutoResolveHours) * time.Hour
		due := laterOf(&ct.c.CreatedAt, ct.c.LastVisitorAt).Add(limit)
		if now := ct.Now(); now.Before(due) {
			wait = due.Sub(now)
			return nil
		}
		return ct.apply(nil, baton.ActionRequest{Action: baton.ActionAutoResolve,
			Reason: fmt.Sprintf("no message from the visitor for %d hours.", t.AutoResolveHours)})
	})
	return wait, err
}

// Abandon marks a waiting (or offline) conversation abandoned once its visitor has been
// gone — no message and no open widget — for the chatbot's minutes; otherwise it returns
// how long to wait before checking again (0: done).
func (d *DB) Abandon(ctx context.Context, a AbandonArgs) (time.Duration, error) {
	var wait time.Duration
	err := d.Write(ctx, func(tx *Tx) error {
		if err := tx.lockRouting(ctx, a.AccountID); err != nil {
			return err
		}
		ct, err := d.lockConversation(ctx, tx, a.AccountID, a.ConversationID)
		if baton.ErrorCode(err) == baton.ENOTFOUND {
			return nil
		} else if err != nil {
			return err
		}
		s := baton.Status(ct.c.Status)
		if s != baton.StatusWaiting && s != baton.StatusOffline {
			return nil
		}
		t, err := ct.timers()
		if err != nil || t.AbandonMinutes <= 0 {
			return err
		}
		contact, err := tx.GetContact(ctx, db.GetContactParams{ID: ct.c.ContactID, AccountID: ct.c.AccountID})
		if err != nil {
			return err
		}
		seen := laterOf(ct.c.HandoffAt, ct.c.LastVisitorAt, contact.LastSeenAt)
		due := seen.Add(time.Duration(t.AbandonMinutes) * time.Minute)
		if now := ct.Now(); now.Before(due) {
			wait = due.Sub(now)
			return nil
		}
		return ct.apply(nil, baton.ActionRequest{Action: baton.ActionAbandon})
	})
	return wait, err
}

// TouchVisitors records that these contacts have a widget open (the abandon timer's
// "visitor gone").
func (d *DB) TouchVisitors(ctx context.Context, contactIDs []string) error {
	return d.Write(ctx, func(tx *Tx) error {
		now := tx.Now()
		for _, id := range contactIDs {
			if err := tx.TouchContactsSeen(ctx, db.TouchContactsSeenParams{ID: id, LastSeenAt: &now}); err != nil {
				return fmt.Errorf("touch visitor: %w", err)
			}
		}
		return nil
	})
}

var thanksRe = regexp.MustCompile(`(?i)^\W*(thanks?( you)?( so much| a lot| very much)?|thx|ty|resolved|solved|that'?s all|all good|gracias|muchas gracias|merci( beaucoup)?|danke( schön| sehr)?|vielen dank|obrigad[oa]|muito obrigad[oa])\W*$`)

// IsThanks reports whether a visitor's message only thanks or says the problem is solved.
func IsThanks(text string) bool {
	return len(text) <= 60 && thanksRe.MatchString(strings.TrimSpace(text))
}
