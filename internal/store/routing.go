package store

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/baton-chat/baton"
	"github.com/baton-chat/baton/internal/store/db"
	"github.com/riverqueue/river"
)

// Routing (Q1, Q2): when a conversation enters waiting it is offered at once to the
// least-loaded online member of its queue with a free seat (ties: longest idle). With
// nobody free it waits, oldest first, and is offered the moment a seat frees: an agent
// finishes a conversation, comes online, or raises their capacity. An offered conversation
// is assigned but still waiting until the agent accepts; with a ring timeout, an offer not
// accepted in time moves to the next agent.

// Queue is a group of agents conversations are routed to.
type Queue struct {
	ID                 string    `json:"id"`
	Name               string    `json:"name"`
	RingTimeoutSeconds int       `json:"ring_timeout_seconds"`
	MemberIDs          []string  `json:"member_ids"`
	CreatedAt          time.Time `json:"created_at"`
}

// Agent is a teammate as the transfer dialog shows them (Q3).
type Agent struct {
	*baton.User
	Load   int  `json:"load"`
	Online bool `json:"online"`
}

// RingTimeoutArgs moves an offer that was not accepted in time.
type RingTimeoutArgs struct {
	AccountID      string `json:"account_id"`
	ConversationID string `json:"conversation_id"`
	AgentID        string `json:"agent_id"`
}

// Kind names the job for River.
func (RingTimeoutArgs) Kind() string { return "ring_timeout" }

// lockRouting serialises routing decisions of an account across nodes (PostgreSQL; SQLite
// has one writer). It must be taken before any conversation row lock, so that no two
// transactions wait on each other.
func (tx *Tx) lockRouting(ctx context.Context, accountID string) error {
	if tx.PG == nil {
		return nil
	}
	_, err := tx.PG.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext($1))", "routing:"+accountID)
	return err
}

// offer assigns a waiting conversation to the best eligible agent, if any.
func (ct *convTx) offer(exclude string) (bool, error) {
	if ct.c.Status != string(baton.StatusWaiting) || ct.c.AssigneeID != nil {
		return false, nil
	}
	since := ct.Now().Add(-PresenceGrace)
	agentID, err := ct.PickAgent(ct.ctx, db.PickAgentParams{AccountID: ct.c.AccountID, ActiveSince: &since,
		QueueID: deref(ct.c.QueueID), ExcludeID: exclude})
	if isNoRows(err) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("pick agent: %w", err)
	}
	u, err := ct.GetUser(ct.ctx, db.GetUserParams{ID: agentID, AccountID: ct.c.AccountID})
	if err != nil {
		return false, err
	}
	ct.c.AssigneeID = &agentID
	now := ct.Now()
	if err := ct.TouchAssigned(ct.ctx, db.TouchAssignedParams{ID: agentID, LastAssignedAt: &now}); err != nil {
		return false, err
	}
	if _, err := ct.addMessage(baton.KindSystem, sender{name: "Baton"}, "Offered to "+userFromRow(u).DisplayName()+".", ""); err != nil {
		return false, err
	}
	if err := ct.emit(baton.EventAssigned, map[string]any{"conversation_id": ct.c.ID, "assignee_id": agentID, "by": ""}, "", nil); err != nil {
		return false, err
	}
	if err := ct.notify(agentID, "assigned", "", "A conversation was assigned to you."); err != nil {
		return false, err
	}
	if ct.c.QueueID != nil && ct.d.Jobs != nil {
		q, err := ct.GetQueue(ct.ctx, db.GetQueueParams{ID: *ct.c.QueueID, AccountID: ct.c.AccountID})
		if err == nil && q.RingTimeoutSeconds > 0 {
			if err := ct.d.Jobs.InsertTx(ct.ctx, ct.Tx, RingTimeoutArgs{AccountID: ct.c.AccountID, ConversationID: ct.c.ID, AgentID: agentID},
				&river.InsertOpts{ScheduledAt: time.Now().Add(time.Duration(q.RingTimeoutSeconds) * time.Second), MaxAttempts: 3}); err != nil {
				return false, err
			}
		}
	}
	return true, nil
}

// routeWaiting offers the oldest unassigned waiting conversations to agents with free
// seats. Call it after a seat may have freed, with the routing lock held.
func (d *DB) routeWaiting(ctx context.Context, tx *Tx, accountID string) error {
	ids, err := tx.WaitingUnassigned(ctx, db.WaitingUnassignedParams{AccountID: accountID, Limit: 100})
	if err != nil {
		return fmt.Errorf("waiting conversations: %w", err)
	}
	for _, id := range ids {
		ct, err := d.lockConversation(ctx, tx, accountID, id)
		if err != nil {
			return err
		}
		ok, err := ct.offer("")
		if err != nil {
			return err
		}
		if ok {
			if err := ct.updated(false); err != nil {
				return err
			}
			if err := ct.save(); err != nil {
				return err
			}
		}
	}
	return nil
}

// RouteWaiting offers waiting conversations after an agent came online or raised their
// capacity.
func (d *DB) RouteWaiting(ctx context.Context, accountID string) error {
	return d.Write(ctx, func(tx *Tx) error {
		if err := tx.lockRouting(ctx, accountID); err != nil {
			return err
		}
		return d.routeWaiting(ctx, tx, accountID)
	})
}

// RingTimeout moves an offer the agent did not accept in time to the next agent.
func (d *DB) RingTimeout(ctx context.Context, a RingTimeoutArgs) error {
	return d.Write(ctx, func(tx *Tx) error {
		if err := tx.lockRouting(ctx, a.AccountID); err != nil {
			return err
		}
		ct, err := d.lockConversation(ctx, tx, a.AccountID, a.ConversationID)
		if baton.ErrorCode(err) == baton.ENOTFOUND {
			return nil
		} else if err != nil {
			return err
		}
		if ct.c.Status != string(baton.StatusWaiting) || deref(ct.c.AssigneeID) != a.AgentID {
			return nil // accepted, moved or ended meanwhile
		}
		ct.c.AssigneeID = nil
		if _, err := ct.addMessage(baton.KindSystem, sender{name: "Baton"}, "The offer was not accepted in time; offering to the next agent.", ""); err != nil {
			return err
		}
		if _, err := ct.offer(a.AgentID); err != nil {
			return err
		}
		if err := ct.updated(false); err != nil {
			return err
		}
		return ct.save()
	})
}

// checkAssignable refuses an agent who may not take the conversation: not in its queue
// (admins and owners may take any), offline, or at capacity.
func (ct *convTx) checkAssignable(u db.User, manual bool) error {
	name := userFromRow(u).DisplayName()
	if ct.c.QueueID != nil && u.Role == string(baton.RoleAgent) {
		n, err := ct.IsQueueMember(ct.ctx, db.IsQueueMemberParams{QueueID: *ct.c.QueueID, UserID: u.ID})
		if err != nil {
			return err
		}
		if n == 0 {
			return baton.Errorf(baton.EFORBIDDEN, "%s is not a member of this conversation's queue.", name)
		}
	}
	if manual {
		return nil
	}
	if u.Availability == string(baton.AvailabilityOffline) {
		return baton.Errorf(baton.ECONFLICT, "%s is offline.", name)
	}
	load, err := ct.AgentLoad(ct.ctx, &u.ID)
	if err != nil {
		return err
	}
	if load >= u.Capacity {
		return baton.Errorf(baton.ECONFLICT, "%s is at capacity (%d of %d conversations).", name, load, u.Capacity)
	}
	return nil
}

// ListAgents lists the account's teammates with their load, for transfers (Q3).
func (d *DB) ListAgents(ctx context.Context) ([]*Agent, error) {
	a := baton.ActorFromContext(ctx)
	users, err := d.ListUsers(ctx, a.AccountID)
	if err != nil {
		return nil, err
	}
	loads, err := d.read().AgentLoads(ctx, a.AccountID)
	if err != nil {
		return nil, fmt.Errorf("agent loads: %w", err)
	}
	byID := map[string]int{}
	for _, l := range loads {
		byID[deref(l.AssigneeID)] = int(l.Load)
	}
	out := make([]*Agent, 0, len(users))
	for _, u := range users {
		if !u.Active() {
			continue // a deactivated user takes no transfer
		}
		out = append(out, &Agent{User: u, Load: byID[u.ID], Online: u.Availability == baton.AvailabilityOnline})
	}
	return out, nil
}

func queueFromRow(q db.Queue, members []string) *Queue {
	if members == nil {
		members = []string{}
	}
	return &Queue{ID: q.ID, Name: q.Name, RingTimeoutSeconds: int(q.RingTimeoutSeconds), MemberIDs: members, CreatedAt: q.CreatedAt}
}

// QueueInput creates or changes a queue.
type QueueInput struct {
	Name               *string
	RingTimeoutSeconds *int
	MemberIDs          *[]string
}

func (d *DB) saveQueue(ctx context.Context, tx *Tx, accountID string, q *db.Queue, in QueueInput) error {
	if in.Name != nil {
		n := strings.TrimSpace(*in.Name)
		if n == "" || utf8.RuneCountInString(n) > 100 {
			return baton.Invalid("A queue needs a name of 1 to 100 characters.")
		}
		q.Name = n
	}
	if in.RingTimeoutSeconds != nil {
		if *in.RingTimeoutSeconds < 0 || *in.RingTimeoutSeconds > 3600 {
			return baton.Invalid("ring_timeout_seconds must be between 0 (off) and 3600.")
		}
		q.RingTimeoutSeconds = int64(*in.RingTimeoutSeconds)
	}
	if in.MemberIDs != nil {
		if len(*in.MemberIDs) > 1000 {
			return baton.Invalid("A queue has at most 1000 members.")
		}
		if err := tx.ClearQueueMembers(ctx, q.ID); err != nil {
			return err
		}
		for _, uid := range *in.MemberIDs {
			if _, err := tx.GetUser(ctx, db.GetUserParams{ID: uid, AccountID: accountID}); isNoRows(err) {
				return baton.Invalid("There is no teammate with id %q.", uid)
			} else if err != nil {
				return err
			}
			if err := tx.AddQueueMember(ctx, db.AddQueueMemberParams{QueueID: q.ID, UserID: uid}); err != nil {
				return err
			}
		}
	}
	return nil
}

// CreateQueue makes a queue.
func (d *DB) CreateQueue(ctx context.Context, in QueueInput) (*Queue, error) {
	a := baton.ActorFromContext(ctx)
	if in.Name == nil {
		return nil, baton.Invalid("A queue needs a name.")
	}
	var id string
	err := d.Write(ctx, func(tx *Tx) error {
		q := db.Queue{ID: d.NewID(), AccountID: a.AccountID, CreatedAt: tx.Now()}
		id = q.ID
		if err := d.saveQueue(ctx, tx, a.AccountID, &q, QueueInput{Name: in.Name, RingTimeoutSeconds: in.RingTimeoutSeconds}); err != nil {
			return err
		}
		err := tx.CreateQueue(ctx, db.CreateQueueParams{ID: q.ID, AccountID: q.AccountID, Name: q.Name, RingTimeoutSeconds: q.RingTimeoutSeconds, CreatedAt: q.CreatedAt})
		if isUnique(err) {
			return baton.Errorf(baton.ECONFLICT, "A queue named %q already exists.", q.Name)
		} else if err != nil {
			return err
		}
		return d.saveQueue(ctx, tx, a.AccountID, &q, QueueInput{MemberIDs: in.MemberIDs})
	})
	if err != nil {
		return nil, err
	}
	return d.FindQueue(ctx, id)
}

// UpdateQueue changes a queue; members joining may take waiting conversations at once.
func (d *DB) UpdateQueue(ctx context.Context, id string, in QueueInput) (*Queue, error) {
	a := baton.ActorFromContext(ctx)
	err := d.Write(ctx, func(tx *Tx) error {
		if err := tx.lockRouting(ctx, a.AccountID); err != nil {
			return err
		}
		q, err := tx.GetQueue(ctx, db.GetQueueParams{ID: id, AccountID: a.AccountID})
		if isNoRows(err) {
			return baton.NotFound("Queue")
		} else if err != nil {
			return err
		}
		if err := d.saveQueue(ctx, tx, a.AccountID, &q, in); err != nil {
			return err
		}
		err = tx.UpdateQueue(ctx, db.UpdateQueueParams{ID: q.ID, AccountID: a.AccountID, Name: q.Name, RingTimeoutSeconds: q.RingTimeoutSeconds})
		if isUnique(err) {
			return baton.Errorf(baton.ECONFLICT, "A queue named %q already exists.", q.Name)
		} else if err != nil {
			return err
		}
		return d.routeWaiting(ctx, tx, a.AccountID)
	})
	if err != nil {
		return nil, err
	}
	return d.FindQueue(ctx, id)
}

// FindQueue returns a queue with its members.
func (d *DB) FindQueue(ctx context.Context, id string) (*Queue, error) {
	a := baton.ActorFromContext(ctx)
	q, err := d.read().GetQueue(ctx, db.GetQueueParams{ID: id, AccountID: a.AccountID})
	if isNoRows(err) {
		return nil, baton.NotFound("Queue")
	} else if err != nil {
		return nil, fmt.Errorf("find queue: %w", err)
	}
	members, err := d.read().QueueMembers(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("queue members: %w", err)
	}
	return queueFromRow(q, members), nil
}

// ListQueues lists the account's queues.
func (d *DB) ListQueues(ctx context.Context) ([]*Queue, error) {
	a := baton.ActorFromContext(ctx)
	rows, err := d.read().ListQueues(ctx, a.AccountID)
	if err != nil {
		return nil, fmt.Errorf("list queues: %w", err)
	}
	out := make([]*Queue, len(rows))
	for i, r := range rows {
		members, err := d.read().QueueMembers(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		out[i] = queueFromRow(r, members)
	}
	return out, nil
}

// DeleteQueue removes a queue; its conversations keep waiting without a queue.
func (d *DB) DeleteQueue(ctx context.Context, id string) error {
	a := baton.ActorFromContext(ctx)
	return d.Write(ctx, func(tx *Tx) error {
		n, err := tx.DeleteQueue(ctx, db.DeleteQueueParams{ID: id, AccountID: a.AccountID})
		if err != nil {
			return err
		}
		if n == 0 {
			return baton.NotFound("Queue")
		}
		_, err = tx.conn.Exec(ctx, "UPDATE conversations SET queue_id = NULL WHERE queue_id = $1 AND account_id = $2", id, a.AccountID)
		return err
	})
}

// SetChatbotQueue sets the queue a chatbot's handoffs go to ("" for none).
func (d *DB) SetChatbotQueue(ctx context.Context, chatbot, queueID string) error {
	a := baton.ActorFromContext(ctx)
	return d.Write(ctx, func(tx *Tx) error {
		c, err := d.chatbotOf(ctx, tx.Queries, chatbot)
		if err != nil {
			return err
		}
		var q *string
		if queueID != "" {
			if _, err := tx.GetQueue(ctx, db.GetQueueParams{ID: queueID, AccountID: a.AccountID}); isNoRows(err) {
				return baton.Invalid("There is no queue with id %q.", queueID)
			} else if err != nil {
				return err
			}
			q = &queueID
		}
		return tx.SetChatbotQueue(ctx, db.SetChatbotQueueParams{ID: c.ID, AccountID: a.AccountID, DefaultQueueID: q})
	})
}
