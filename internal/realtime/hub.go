package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"log/slog"
	"sync"
	"time"

	"github.com/baton-chat/baton"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Source is what sockets read from the database: missed events, and agents' presence.
type Source interface {
	// Events returns a conversation's team events after seq, in order.
	Events(ctx context.Context, convID string, after int64, limit int) ([]*baton.Event, error)
	// VisitorEvents returns a conversation's visitor-visible events after a visitor seq.
	VisitorEvents(ctx context.Context, convID string, after int64, limit int) ([]*baton.VisitorEvent, error)
	// TouchAgents records that these agents have a console open (presence heartbeat).
	TouchAgents(ctx context.Context, userIDs []string) error
	// SweepAgents marks offline the agents whose last heartbeat is older than cutoff.
	SweepAgents(ctx context.Context, cutoff time.Time) error
	// TouchVisitors records that these contacts have a widget open (for the abandon timer).
	TouchVisitors(ctx context.Context, contactIDs []string) error
}

var socketsOpen = promauto.NewGaugeVec(prometheus.GaugeOpts{
	Name: "baton_websockets_open", Help: "Open WebSockets on this node, by kind.",
}, []string{"kind"})

var framesDropped = promauto.NewCounter(prometheus.CounterOpts{
	Name: "baton_websockets_slow_consumers_total", Help: "Sockets closed because they could not keep up.",
})

// Gaps in a socket's stream: the missing events came later in the same batch of its queue
// (the bus delivered two nodes' events in the other order), or were read from the database.
var gapsFilled = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "baton_websockets_gaps_total", Help: "Gaps in a socket's event stream, by how they were filled (queue: reordered from what was queued; database: read back).",
}, []string{"from"})

var (
	gapsFromQueue    = gapsFilled.WithLabelValues("queue")
	gapsFromDatabase = gapsFilled.WithLabelValues("database")
)

// Presence timing: heartbeats every HeartbeatInterval; an agent with no heartbeat for
// PresenceGrace is offline.
const (
	HeartbeatInterval = 30 * time.Second
	PresenceGrace     = 90 * time.Second
)

// Hub fans envelopes out to the sockets of this node.
type Hub struct {
	// NoRateLimits turns off the budget of visitors' typing and read frames (load tests).
	NoRateLimits bool

	bus    Bus
	src    Source
	logger *slog.Logger

	// ctx bounds what sockets ask of the database; Close cancels it.
	ctx    context.Context
	cancel context.CancelFunc
	poller *poller // nil: each socket is read by a goroutine of its own
	ka     *keepalive
	conns  sync.WaitGroup // sockets listed and not yet torn down

	mu       sync.RWMutex
	accounts index // agent sockets by account
	users    index // agent sockets by user
	convs    index // visitor sockets by conversation
	contacts index // visitor sockets by contact
	closing  bool

	stop chan struct{}
	wg   sync.WaitGroup
}

// NewHub subscribes a hub to the bus and starts its presence heartbeat, its socket poller
// and its keepalive.
func NewHub(bus Bus, src Source, logger *slog.Logger) (*Hub, error) {
	return newHub(bus, src, logger, hubOptions{tick: time.Second})
}

// hubOptions are what tests change: the keepalive's tick (one second), and reading every
// socket with a goroutine of its own (as where epoll is missing) instead of the poller.
type hubOptions struct {
	tick           time.Duration
	goroutineReads bool
}

func newHub(bus Bus, src Source, logger *slog.Logger, o hubOptions) (*Hub, error) {
	h := &Hub{bus: bus, src: src, logger: logger,
		accounts: index{}, users: index{}, convs: index{}, contacts: index{},
		stop: make(chan struct{})}
	if !o.goroutineReads {
		p, err := newPoller()
		if err != nil && !errors.Is(err, errNoPoller) {
			logger.Warn("no socket poller: every socket is read by a goroutine of its own", "err", err)
		}
		h.poller = p
	}
	if err := bus.Subscribe(h.dispatch); err != nil {
		if h.poller != nil {
			h.poller.close()
		}
		return nil, err
	}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	h.ka = newKeepalive(o.tick)
	h.wg.Add(1)
	go h.heartbeat()
	return h, nil
}

// Publish sends committed events to every node (it implements baton.Publisher). A bus
// failure loses nothing: sockets fill gaps from the database.
func (h *Hub) Publish(ctx context.Context, events []*baton.Event) {
	envs := make([]*Envelope, len(events))
	for i, e := range events {
		envs[i] = &Envelope{Event: e}
	}
	if err := h.bus.Publish(ctx, envs); err != nil {
		h.logger.Warn("publish events", "err", err, "events", len(events))
	}
}

// PublishEphemeral sends a signal that is not stored (typing, read, presence).
func (h *Hub) PublishEphemeral(ctx context.Context, e *Ephemeral) {
	if err := h.bus.Publish(ctx, []*Envelope{{Ephemeral: e}}); err != nil {
		h.logger.Warn("publish signal", "err", err, "type", e.Type)
	}
}

// SetPresence tells the user's sockets on every node their new availability.
func (h *Hub) SetPresence(ctx context.Context, accountID, userID string, a baton.Availability) {
	data, _ := json.Marshal(map[string]any{"user_id": userID, "availability": a})
	h.PublishEphemeral(ctx, &Ephemeral{AccountID: accountID, Audience: "team", UserID: userID, Type: "presence", Data: data})
}

// index lists sockets by a key: an account, a user, a conversation or a contact.
type index map[string]sockets

// sockets is the set under one key; the usual set of one socket allocates nothing.
type sockets struct {
	one  *client
	more map[*client]struct{}
}

func (ix index) add(k string, c *client) {
	s := ix[k]
	switch {
	case s.one == c:
		return
	case s.one == nil && s.more == nil:
		s.one = c
	case s.more == nil:
		s.more, s.one = map[*client]struct{}{s.one: {}, c: {}}, nil
	default:
		s.more[c] = struct{}{}
	}
	ix[k] = s
}

func (ix index) remove(k string, c *client) {
	s, ok := ix[k]
	switch {
	case !ok:
	case s.one == c:
		delete(ix, k)
	case s.more != nil:
		delete(s.more, c)
		if len(s.more) == 0 {
			delete(ix, k)
		}
	}
}

// of yields the sockets under k.
func (ix index) of(k string) iter.Seq[*client] {
	s := ix[k]
	return func(yield func(*client) bool) {
		if s.one != nil {
			yield(s.one)
			return
		}
		for c := range s.more {
			if !yield(c) {
				return
			}
		}
	}
}

// Revoke closes, on every node, the agent sockets opened with credentials that stopped
// working (a sign-out, a revoked token, a new password or role, a deactivated user): close
// code 4001, so the console signs in again rather than reconnecting.
func (h *Hub) Revoke(ctx context.Context, r baton.Revocation) {
	data, _ := json.Marshal(r)
	h.PublishEphemeral(ctx, &Ephemeral{AccountID: r.AccountID, Audience: "revoke", UserID: r.UserID, Type: "revoke", Data: data})
}

func (h *Hub) register(c *client) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	h.conns.Add(1)
	c.mu.Lock()
	c.registered = true
	c.mu.Unlock()
	if c.isVisitor() {
		h.convs.add(c.convID(), c)
		h.contacts.add(c.contactID, c)
		socketsOpen.WithLabelValues("visitor").Inc()
	} else {
		h.accounts.add(c.accountID, c)
		h.users.add(c.userID, c)
		socketsOpen.WithLabelValues("agent").Inc()
	}
	return true
}

func (h *Hub) unregister(c *client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c.isVisitor() {
		for _, id := range c.followed {
			h.convs.remove(id, c)
		}
		h.contacts.remove(c.contactID, c)
		socketsOpen.WithLabelValues("visitor").Dec()
	} else {
		h.accounts.remove(c.accountID, c)
		h.users.remove(c.userID, c)
		socketsOpen.WithLabelValues("agent").Dec()
	}
	h.conns.Done()
}

// dispatch routes one envelope to the sockets it concerns. It never blocks: a socket whose
// queue is full is dropped and told to reconnect.
//
// Only a new conversation changes the subscriptions (a visitor's sockets follow it); every
// other envelope takes the read lock, so publishers on many goroutines fan out at once.
func (h *Hub) dispatch(env *Envelope) {
	if e := env.Event; e != nil && e.Type == baton.EventConversationCreated {
		h.mu.Lock()
		defer h.mu.Unlock()
	} else {
		h.mu.RLock()
		defer h.mu.RUnlock()
	}
	if e := env.Event; e != nil && e.Seq == 0 {
		// A signal for one teammate (a notification), not part of any stream.
		var p struct {
			UserID       string          `json:"user_id"`
			Notification json.RawMessage `json:"notification"`
		}
		if json.Unmarshal(e.Payload, &p) != nil || p.UserID == "" {
			return
		}
		typ := "notification"
		var n struct {
			Kind string `json:"kind"`
		}
		if json.Unmarshal(p.Notification, &n) == nil && n.Kind == "mention" {
			typ = "mention"
		}
		sig := &Envelope{Ephemeral: &Ephemeral{AccountID: e.AccountID, ConversationID: e.ConversationID, Audience: "user",
			UserID: p.UserID, Type: typ, Data: p.Notification}}
		for c := range h.users.of(p.UserID) {
			if c.accountID == e.AccountID {
				c.deliver(sig)
			}
		}
		return
	}
	if e := env.Event; e != nil {
		for c := range h.accounts.of(e.AccountID) {
			c.deliver(env)
		}
		if e.Type == baton.EventConversationCreated {
			// A visitor's new conversation (H7): their sockets follow it.
			var p struct {
				ContactID string `json:"contact_id"`
			}
			if json.Unmarshal(e.Payload, &p) == nil && p.ContactID != "" {
				for c := range h.contacts.of(p.ContactID) {
					h.convs.add(e.ConversationID, c)
					c.follow(e.ConversationID)
				}
			}
		}
		for c := range h.convs.of(e.ConversationID) {
			if e.VisitorSeq > 0 || e.Type == baton.EventConversationCreated {
				c.deliver(env)
			}
		}
		if e.Type == baton.EventHandoffStarted {
			// R4: the account-wide alert, to every agent who is not busy or away.
			alert := &Envelope{Ephemeral: &Ephemeral{AccountID: e.AccountID, ConversationID: e.ConversationID,
				Audience: "team", Type: baton.EventHandoff, Data: e.Payload}}
			for c := range h.accounts.of(e.AccountID) {
				if c.available() {
					c.deliver(alert)
				}
			}
		}
		return
	}
	s := env.Ephemeral
	if s == nil {
		return
	}
	switch s.Audience {
	case "team":
		if s.Type == "presence" {
			var p struct {
				Availability baton.Availability `json:"availability"`
			}
			if json.Unmarshal(s.Data, &p) == nil {
				for c := range h.users.of(s.UserID) {
					c.availability.Store(string(p.Availability))
				}
			}
		}
		for c := range h.accounts.of(s.AccountID) {
			if c.id != s.Origin {
				c.deliver(env)
			}
		}
	case "revoke":
		var r baton.Revocation
		if json.Unmarshal(s.Data, &r) != nil || r.AccountID != s.AccountID {
			return
		}
		for c := range h.accounts.of(s.AccountID) {
			if r.Covers(c.actor) {
				c.kick(CloseUnauthorized, "Signed out: sign in again.")
			}
		}
	case "visitor":
		for c := range h.convs.of(s.ConversationID) {
			if c.id != s.Origin {
				c.deliver(env)
			}
		}
	}
}

func (h *Hub) heartbeat() {
	defer h.wg.Done()
	t := time.NewTicker(HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
		}
		h.mu.RLock()
		ids := make([]string, 0, len(h.users))
		for id := range h.users {
			ids = append(ids, id)
		}
		contacts := make([]string, 0, len(h.contacts))
		for id := range h.contacts {
			contacts = append(contacts, id)
		}
		h.mu.RUnlock()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if len(ids) > 0 {
			if err := h.src.TouchAgents(ctx, ids); err != nil {
				h.logger.Warn("presence heartbeat", "err", err)
			}
		}
		for len(contacts) > 0 {
			n := min(len(contacts), 500)
			if err := h.src.TouchVisitors(ctx, contacts[:n]); err != nil {
				h.logger.Warn("visitor heartbeat", "err", err)
				break
			}
			contacts = contacts[n:]
		}
		if err := h.src.SweepAgents(ctx, time.Now().Add(-PresenceGrace)); err != nil {
			h.logger.Warn("presence sweep", "err", err)
		}
		h.recheckSessions(ctx)
		cancel()
	}
}

// SessionChecker resolves a session token again (it is the store's Authenticate): an open
// console keeps its session alive, and a session that ended without a revocation reaching
// this node (its lifetime, a password reset from the command line) closes its sockets.
type SessionChecker interface {
	Authenticate(ctx context.Context, token string) (*baton.Actor, error)
}

// recheckSessions runs with each heartbeat, once per session with an agent socket here.
func (h *Hub) recheckSessions(ctx context.Context) {
	check, ok := h.src.(SessionChecker)
	if !ok {
		return
	}
	h.mu.RLock()
	bySession := map[string][]*client{}
	for id := range h.users {
		for c := range h.users.of(id) {
			if c.actor != nil && c.actor.SessionToken != "" {
				bySession[c.actor.SessionToken] = append(bySession[c.actor.SessionToken], c)
			}
		}
	}
	h.mu.RUnlock()
	for token, clients := range bySession {
		_, err := check.Authenticate(ctx, token)
		if baton.ErrorCode(err) != baton.EUNAUTHORIZED {
			continue // valid, or the database did not answer: try again next beat
		}
		for _, c := range clients {
			c.kick(CloseUnauthorized, "Your session has ended: sign in again.")
		}
	}
}

// Close tells every socket to reconnect (to another node), waits until each has closed
// (a few seconds at most), and stops the hub.
func (h *Hub) Close() {
	h.mu.Lock()
	if h.closing {
		h.mu.Unlock()
		return
	}
	h.closing = true
	var all []*client
	for _, ix := range []index{h.accounts, h.contacts} {
		for k := range ix {
			for c := range ix.of(k) {
				all = append(all, c)
			}
		}
	}
	h.mu.Unlock()
	close(h.stop)
	for _, c := range all {
		c.kick(closeGoingAway, "server shutting down: reconnect")
	}
	h.conns.Wait()
	h.ka.close()
	if h.poller != nil {
		h.poller.close()
	}
	h.cancel()
	h.wg.Wait()
}
