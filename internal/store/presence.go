package store

import (
	"context"
	"fmt"
	"time"

	"github.com/baton-chat/baton/internal/store/db"
)

// PresenceGrace is how long an agent stays online without a heartbeat from an open console.
const PresenceGrace = 90 * time.Second

// AgentConnected records that an agent opened a console: an offline agent becomes online
// (an agent who chose busy or away stays so) and may be offered waiting conversations.
func (d *DB) AgentConnected(ctx context.Context, accountID, userID string) error {
	return d.Write(ctx, func(tx *Tx) error {
		if err := tx.lockRouting(ctx, accountID); err != nil {
			return err
		}
		if err := tx.MarkAgentOnline(ctx, db.MarkAgentOnlineParams{ID: userID, LastActiveAt: ptr(tx.Now())}); err != nil {
			return err
		}
		return d.routeWaiting(ctx, tx, accountID)
	})
}

// TouchAgents is the presence heartbeat of agents with an open console.
func (d *DB) TouchAgents(ctx context.Context, userIDs []string) error {
	return d.Write(ctx, func(tx *Tx) error {
		for _, id := range userIDs {
			if err := tx.TouchAgent(ctx, db.TouchAgentParams{ID: id, LastActiveAt: ptr(tx.Now())}); err != nil {
				return fmt.Errorf("touch agent: %w", err)
			}
		}
		return nil
	})
}

// SweepAgents marks offline every agent with no heartbeat since cutoff (Q2: offline when
// the last console closed longer than the grace period ago).
func (d *DB) SweepAgents(ctx context.Context, cutoff time.Time) error {
	return d.Write(ctx, func(tx *Tx) error { return tx.SweepAgents(ctx, &cutoff) })
}

// availableAgents counts the account's agents who are online with an open console.
func (tx *Tx) availableAgents(ctx context.Context, accountID string) (int64, error) {
	cutoff := tx.Now().Add(-PresenceGrace)
	return tx.CountAvailableAgents(ctx, db.CountAvailableAgentsParams{AccountID: accountID, LastActiveAt: &cutoff})
}

func ptr[T any](v T) *T { return &v }
